/** `auth login`: the OAuth authorization-code flow with a local callback on 127.0.0.1. */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AxiosInstance } from 'axios';
import { IntercomError } from '../errors';
import { requestTokens } from './token-endpoint';
import type { TokenSet } from './token';

export interface AuthorizationCodeFlowOptions {
  /** Intercom: https://app.intercom.com/oauth */
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Port of the local callback on 127.0.0.1; 0 (default) = any free port. */
  port?: number;
  /** Where the instructions go (the authorize URL among them); never receives a secret. */
  print: (line: string) => void;
  signal?: AbortSignal;
  /** Give up after this long without a valid callback. Default 5 minutes. */
  timeoutMs?: number;
  http?: AxiosInstance;
  clock?: () => number;
}

const CALLBACK_PATH = '/callback';

function loginError(message: string, code: string): IntercomError {
  return new IntercomError(message, { code, kind: 'config', route: 'oauth_callback' });
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
  res.end(`${text}\n`);
}

/** The authorize URL the user opens: client id, the anti-forgery state and the local callback. */
export function authorizeUrlFor(
  authorizeUrl: string,
  clientId: string,
  state: string,
  redirectUri: string,
): string {
  const url = new URL(authorizeUrl);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('state', state);
  url.searchParams.set('redirect_uri', redirectUri);
  return url.toString();
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * OAuth 2.0 authorization-code flow for `intercom-cdc auth login`: listens on 127.0.0.1, prints the
 * authorize URL, waits for the browser to come back to `/callback`, checks `state`, exchanges the
 * code and resolves with the tokens (the caller stores them). The callback answers the browser with
 * the outcome. Rejects with a config IntercomError on a wrong `state` (`oauth_state_mismatch`), a
 * denial (`oauth_denied`), a callback without code (`oauth_no_code`), a timeout (`oauth_timeout`) or
 * an abort (`oauth_aborted`); token endpoint errors as `requestTokens` raises them. The listener is
 * closed in every case.
 */
export async function runAuthorizationCodeFlow(opts: AuthorizationCodeFlowOptions): Promise<TokenSet> {
  const state = randomBytes(24).toString('base64url');
  let settle: { resolve: (t: TokenSet) => void; reject: (e: unknown) => void } | undefined;
  const done = new Promise<TokenSet>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => undefined); // awaited below; this only keeps an early rejection from counting as unhandled
  let redirectUri = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== CALLBACK_PATH) return reply(res, 404, 'Not found.');
    const params = url.searchParams;
    if (params.get('state') !== state) {
      reply(res, 400, 'The state does not match this login: start `intercom-cdc auth login` again.');
      return settle?.reject(
        loginError(
          'OAuth callback with a state that does not match this login; nothing was stored.',
          'oauth_state_mismatch',
        ),
      );
    }
    if (params.get('error')) {
      reply(res, 400, 'Authorization was denied.');
      return settle?.reject(loginError(`Authorization was denied (${params.get('error')}).`, 'oauth_denied'));
    }
    const code = params.get('code');
    if (!code) {
      reply(res, 400, 'The callback carries no code.');
      return settle?.reject(loginError('The OAuth callback carries no code.', 'oauth_no_code'));
    }
    try {
      const endpoint = {
        tokenUrl: opts.tokenUrl,
        clientId: opts.clientId,
        clientSecret: opts.clientSecret,
        http: opts.http,
      };
      const tokens = await requestTokens(
        endpoint,
        { kind: 'authorization_code', code, redirectUri },
        opts.clock ?? Date.now,
      );
      reply(res, 200, 'intercom-cdc is authorized. You can close this window.');
      settle?.resolve(tokens);
    } catch (error) {
      reply(res, 502, 'The code could not be exchanged for a token; see the terminal.');
      settle?.reject(error);
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  const timeout = setTimeout(
    () =>
      settle?.reject(
        loginError(
          'No OAuth callback arrived in time; run `intercom-cdc auth login` again.',
          'oauth_timeout',
        ),
      ),
    opts.timeoutMs ?? 300_000,
  );
  const onAbort = (): void => settle?.reject(loginError('The login was aborted.', 'oauth_aborted'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (opts.signal?.aborted) onAbort();
    const port = await listen(server, opts.port ?? 0);
    redirectUri = `http://127.0.0.1:${port}${CALLBACK_PATH}`;
    opts.print('Open this URL in a browser and authorize the app:');
    opts.print(authorizeUrlFor(opts.authorizeUrl, opts.clientId, state, redirectUri));
    opts.print(`Waiting for the callback on ${redirectUri} …`);
    return await done;
  } finally {
    clearTimeout(timeout);
    opts.signal?.removeEventListener('abort', onAbort);
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
