/** A TokenProvider for OAuth tokens that renew themselves with their refresh token. */
import type { AxiosInstance } from 'axios';
import type { Logger } from '../../logger';
import { checkTokenUrl, requestTokens, type TokenEndpoint } from './token-endpoint';
import type { TokenProvider, TokenSet } from './token';

export interface OAuthTokenProviderOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  initial: TokenSet;
  /** Epoch ms; default Date.now. */
  clock?: () => number;
  /** Stores every new TokenSet (the token file), so that a restart does not reuse a spent refresh token. */
  persist?: (tokens: TokenSet) => Promise<void>;
  http?: AxiosInstance;
  /** Refresh this long before expiry, at most half the token's lifetime. Default 60 s. */
  refreshAheadMs?: number;
  logger?: Logger;
}

/**
 * An OAuth access token that renews itself with the refresh-token grant, when the token endpoint gave
 * a refresh token. Contract:
 * - `getToken` refreshes ahead of expiry (`refreshAheadMs`, at most half the lifetime); if that
 *   refresh fails while the old token is still valid, it logs and returns the old token; once the
 *   token expired, the refresh error is thrown.
 * - `onUnauthorized(failedToken)` refreshes once and answers true; when the token already changed
 *   since `failedToken` was handed out it answers true without refreshing; without a refresh token it
 *   answers false. A rejected refresh throws a config IntercomError (`oauth_rejected`).
 * - Concurrent callers share one refresh. Every new TokenSet is used at once and persisted where the
 *   operator allows: a token file that cannot be written is logged at warn, never a failure (the
 *   endpoint may have spent the old refresh token, so dropping the new one would leave none).
 */
export class OAuthTokenProvider implements TokenProvider {
  private tokens: TokenSet;
  private receivedAt: number;
  private refreshing: Promise<void> | undefined;
  private readonly clock: () => number;
  private readonly endpoint: TokenEndpoint;

  /** Throws a ConfigError at once when the token URL is not allowed (see `checkTokenUrl`). */
  constructor(private readonly opts: OAuthTokenProviderOptions) {
    checkTokenUrl(opts.tokenUrl);
    this.clock = opts.clock ?? Date.now;
    this.tokens = opts.initial;
    this.receivedAt = this.clock();
    this.endpoint = {
      tokenUrl: opts.tokenUrl,
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      http: opts.http,
    };
  }

  async getToken(): Promise<string> {
    if (this.dueForRefresh()) {
      try {
        await this.refresh();
      } catch (error) {
        if (!this.expired()) {
          this.opts.logger?.warn(
            { code: (error as { code?: string }).code },
            'token refresh ahead of expiry failed; using the current token',
          );
        } else throw error;
      }
    }
    return this.tokens.accessToken;
  }

  async onUnauthorized(failedToken?: string): Promise<boolean> {
    if (failedToken !== undefined && failedToken !== this.tokens.accessToken) return true;
    if (!this.tokens.refreshToken) return false;
    await this.refresh();
    return true;
  }

  private dueForRefresh(): boolean {
    const { expiresAt, refreshToken } = this.tokens;
    if (!refreshToken || expiresAt === undefined) return false;
    const margin = Math.min(this.opts.refreshAheadMs ?? 60_000, (expiresAt - this.receivedAt) / 2);
    return this.clock() >= expiresAt - margin;
  }

  private expired(): boolean {
    return this.tokens.expiresAt !== undefined && this.clock() >= this.tokens.expiresAt;
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.renew().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async renew(): Promise<void> {
    const refreshToken = this.tokens.refreshToken as string;
    const next = await requestTokens(
      this.endpoint,
      { kind: 'refresh_token', refreshToken },
      this.clock,
      this.tokens,
    );
    this.tokens = next;
    this.receivedAt = this.clock();
    this.opts.logger?.info({ expiresAt: next.expiresAt }, 'OAuth access token refreshed');
    try {
      await this.opts.persist?.(next);
    } catch (error) {
      // A read-only token file (a mounted secret): the new tokens live on in memory; a restart reads
      // the file, whose refresh token the endpoint may have spent.
      this.opts.logger?.warn(
        { err: (error as NodeJS.ErrnoException).code ?? (error as Error).message },
        'the refreshed OAuth token could not be saved to INTERCOM_TOKEN_FILE; it is kept in memory, and a restart needs a token file with a valid refresh token (make the file writable, or renew it with `intercom-cdc auth login`)',
      );
    }
  }
}
