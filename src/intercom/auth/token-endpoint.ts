/** The OAuth token endpoint: one grant exchanged for a TokenSet, its failures typed, no secret in any message. */
import axios, { type AxiosInstance } from 'axios';
import { ConfigError } from '../../errors';
import { withoutCredentials } from '../../urls';
import { IntercomError, parseLenient, safeCause } from '../errors';
import type { TokenSet } from './token';

/** An OAuth client and the token endpoint it talks to (`POST …/auth/eagle/token` at Intercom). */
export interface TokenEndpoint {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** The HTTP client to use; default a plain axios instance. */
  http?: AxiosInstance;
  timeoutMs?: number;
}

/** The grants this connector uses: the authorization code of `auth login`, and the refresh token. */
export type Grant =
  | { kind: 'authorization_code'; code: string; redirectUri?: string }
  | { kind: 'refresh_token'; refreshToken: string };

function grantForm(grant: Grant): Record<string, string> {
  return grant.kind === 'authorization_code'
    ? {
        grant_type: 'authorization_code',
        code: grant.code,
        ...(grant.redirectUri ? { redirect_uri: grant.redirectUri } : {}),
      }
    : { grant_type: 'refresh_token', refresh_token: grant.refreshToken };
}

function secretsOf(endpoint: TokenEndpoint, grant: Grant): string[] {
  return [endpoint.clientSecret, grant.kind === 'authorization_code' ? grant.code : grant.refreshToken];
}

/**
 * The TokenSet of a token response: `access_token` (or Intercom's `token`), plus `refresh_token` and
 * `expires_in` (seconds) when present. A refresh response without a new refresh token keeps
 * `previousRefreshToken`. Throws a system IntercomError when there is no access token.
 */
export function tokenSetFrom(body: unknown, nowMs: number, previousRefreshToken?: string): TokenSet {
  const json = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const access = json.access_token ?? json.token;
  if (typeof access !== 'string' || access === '') {
    throw new IntercomError('The OAuth token response carries no access token.', {
      code: 'oauth_bad_response',
      kind: 'system',
    });
  }
  const refresh =
    typeof json.refresh_token === 'string' && json.refresh_token !== ''
      ? json.refresh_token
      : previousRefreshToken;
  const expiresIn = Number(json.expires_in);
  return {
    accessToken: access,
    refreshToken: refresh,
    expiresAt:
      json.expires_in !== undefined && Number.isFinite(expiresIn) ? nowMs + expiresIn * 1000 : undefined,
  };
}

/** The setting that holds the token URL, as errors name it. */
const TOKEN_URL_SETTING = 'intercom.oauth.tokenUrl (INTERCOM_OAUTH_TOKEN_URL)';

/** A loopback host: `localhost`, 127.0.0.0/8 or ::1 (a local proxy, the simulator). */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Throws a ConfigError naming the setting unless `tokenUrl` is an `https:` URL, or `http:` to a loopback
 * host: the request carries the client secret and a grant, which must not cross a network in clear.
 */
export function checkTokenUrl(tokenUrl: string): void {
  let url: URL;
  try {
    url = new URL(tokenUrl);
  } catch {
    throw new ConfigError(`${TOKEN_URL_SETTING} is not a URL.`, ['intercom.oauth.tokenUrl']);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname))) return;
  throw new ConfigError(
    `${TOKEN_URL_SETTING} must be an https URL (plain http only to localhost, 127.0.0.0/8 or ::1); got ${withoutCredentials(tokenUrl)}.`,
    ['intercom.oauth.tokenUrl'],
  );
}

function rejection(status: number, body: unknown, grant: Grant): IntercomError {
  const json = (typeof body === 'object' && body !== null ? body : {}) as {
    error?: unknown;
    errors?: { code?: unknown }[];
  };
  const reason =
    typeof json.error === 'string' ? json.error : String(json.errors?.[0]?.code ?? 'no reason given');
  const fix =
    grant.kind === 'refresh_token'
      ? 'Run `intercom-cdc auth login` again and update INTERCOM_TOKEN_FILE.'
      : 'Check the OAuth client id and secret, and authorize again (codes are valid for about 5 minutes).';
  const transient = status >= 500 || status === 429;
  return new IntercomError(
    `The OAuth token endpoint answered ${status} (${reason}) to the ${grant.kind} grant. ${transient ? '' : fix}`.trim(),
    {
      code: transient ? 'oauth_unavailable' : 'oauth_rejected',
      kind: transient ? 'transient' : 'config',
      status,
      route: 'oauth_token',
    },
  );
}

/**
 * Exchanges a grant for tokens (form-encoded, client credentials in the body, as Intercom expects).
 * The URL must pass {@link checkTokenUrl}, and a redirect is never followed (it would carry the secret
 * elsewhere): both are ConfigErrors naming the setting. Other errors: `oauth_rejected` (config: the
 * grant or client is refused), `oauth_unavailable` (transient: 5xx, 429 or no answer),
 * `oauth_bad_response` (system). No message contains a secret.
 */
export async function requestTokens(
  endpoint: TokenEndpoint,
  grant: Grant,
  nowMs: () => number,
  previous?: TokenSet,
): Promise<TokenSet> {
  checkTokenUrl(endpoint.tokenUrl);
  const http = endpoint.http ?? axios.create();
  const form = new URLSearchParams({
    ...grantForm(grant),
    client_id: endpoint.clientId,
    client_secret: endpoint.clientSecret,
  });
  let response;
  try {
    response = await http.post<string>(endpoint.tokenUrl, form.toString(), {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxRedirects: 0,
      timeout: endpoint.timeoutMs ?? 30_000,
    });
  } catch (error) {
    const cause = safeCause(error, secretsOf(endpoint, grant));
    throw new IntercomError(`The OAuth token endpoint could not be reached: ${cause.message}`, {
      code: 'oauth_unavailable',
      kind: 'transient',
      route: 'oauth_token',
      cause,
    });
  }
  if (response.status >= 300 && response.status < 400) {
    throw new ConfigError(
      `The OAuth token endpoint answered ${response.status}, a redirect, which is not followed: set ${TOKEN_URL_SETTING} to the endpoint itself.`,
      ['intercom.oauth.tokenUrl'],
    );
  }
  const body = parseLenient(response.data);
  if (response.status < 200 || response.status >= 300) throw rejection(response.status, body, grant);
  return tokenSetFrom(body, nowMs(), previous?.refreshToken);
}
