import { randomBytes } from 'node:crypto';
import { ApiError, badRequest } from '../api-error';
import type { OAuthOptions } from '../types';

const CODE_TTL_MS = 5 * 60_000;
const DEFAULT_EXPIRES_IN_SEC = 3600;

interface Issued {
  /** Wall ms after which the token answers 401; undefined: never expires. */
  expiresAt?: number;
}

export interface AuthOptions {
  token?: string;
  oauth?: OAuthOptions;
  wall: () => number;
}

/**
 * Which bearer tokens the workspace accepts, and the OAuth authorization-code and refresh grants.
 * Codes are single use and live 5 minutes (wall time); in refresh mode access tokens expire after
 * `expiresInSec` of wall time and refresh tokens rotate on use.
 */
export class TokenAuthority {
  private readonly codes = new Map<string, { expiresAt: number }>();
  private readonly accessTokens = new Map<string, Issued>();
  private readonly refreshTokens = new Set<string>();

  constructor(private readonly options: AuthOptions) {}

  /** True when `Authorization: Bearer <token>` names a token this workspace accepts now. */
  accepts(authorization: string | undefined): boolean {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return false;
    const token = match[1] as string;
    const issued = this.accessTokens.get(token);
    if (issued) return issued.expiresAt === undefined || this.options.wall() < issued.expiresAt;
    return this.options.token === undefined || token === this.options.token;
  }

  /** GET /oauth: approves at once and returns where to redirect the browser (with `code` and `state`). */
  authorize(query: URLSearchParams): string {
    const oauth = this.requireOAuth();
    if (query.get('client_id') !== oauth.clientId) throw badRequest('Unknown client_id');
    const redirect = query.get('redirect_uri');
    if (!redirect)
      throw badRequest('redirect_uri is required: the simulator has no app settings to fall back on');
    let target: URL;
    try {
      target = new URL(redirect);
    } catch {
      throw badRequest('redirect_uri is not a URL');
    }
    // base64 of 16 bytes ends in '==': clients must decode the callback's query string properly.
    const code = randomBytes(16).toString('base64');
    this.codes.set(code, { expiresAt: this.options.wall() + CODE_TTL_MS });
    target.searchParams.set('code', code);
    const state = query.get('state');
    if (state !== null) target.searchParams.set('state', state);
    return target.toString();
  }

  /** POST /auth/eagle/token with either grant; the body has been parsed from JSON or a form. */
  exchange(params: Record<string, unknown>): Record<string, unknown> {
    const oauth = this.requireOAuth();
    if (params.client_id !== oauth.clientId || params.client_secret !== oauth.clientSecret) {
      throw new ApiError(401, 'unauthorized', 'client_id or client_secret is wrong');
    }
    if (params.grant_type === 'refresh_token') {
      if (!oauth.refresh) throw badRequest('This app does not issue refresh tokens');
      const refresh = String(params.refresh_token ?? '');
      if (!this.refreshTokens.delete(refresh))
        throw badRequest('refresh_token is invalid or was already used');
      return this.issue(oauth);
    }
    const code = String(params.code ?? '');
    const pending = this.codes.get(code);
    this.codes.delete(code);
    if (!pending || this.options.wall() >= pending.expiresAt)
      throw badRequest('code is invalid, expired or already used');
    return this.issue(oauth);
  }

  private issue(oauth: OAuthOptions): Record<string, unknown> {
    const token = `dG9rOj${randomBytes(24).toString('base64url')}`;
    const body: Record<string, unknown> = { token_type: 'Bearer', token, access_token: token };
    if (!oauth.refresh) {
      this.accessTokens.set(token, {});
      return body;
    }
    const expiresIn = oauth.expiresInSec ?? DEFAULT_EXPIRES_IN_SEC;
    const refresh = `cmVmOj${randomBytes(24).toString('base64url')}`;
    this.accessTokens.set(token, { expiresAt: this.options.wall() + expiresIn * 1000 });
    this.refreshTokens.add(refresh);
    return { ...body, refresh_token: refresh, expires_in: expiresIn };
  }

  private requireOAuth(): OAuthOptions {
    if (!this.options.oauth)
      throw new ApiError(404, 'not_found', 'OAuth is not configured on this simulator');
    return this.options.oauth;
  }
}
