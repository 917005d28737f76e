/** Where the client's bearer token comes from (TokenProvider), and the provider of a token that never changes. */
import { ConfigError } from '../../errors';

/** An access token and, when the token endpoint offered them, what renews it. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** When the access token expires, epoch ms. */
  expiresAt?: number;
}

/**
 * Where the client gets its bearer token. `getToken` is called before every request (it may refresh
 * ahead of expiry). `onUnauthorized` is called once when a request answered 401 with `failedToken`:
 * true means a newer token is available and the request should be sent once more; false means the
 * 401 is final (a configuration error).
 */
export interface TokenProvider {
  getToken(): Promise<string>;
  onUnauthorized(failedToken?: string): Promise<boolean>;
}

/** A private app's access token, or an OAuth token without refresh: it never changes. */
export class StaticTokenProvider implements TokenProvider {
  constructor(private readonly token: string) {
    if (token.trim() === '') {
      throw new ConfigError(
        'The Intercom access token is empty: set INTERCOM_TOKEN or INTERCOM_TOKEN_FILE.',
        ['INTERCOM_TOKEN'],
      );
    }
  }

  async getToken(): Promise<string> {
    return this.token;
  }

  async onUnauthorized(): Promise<boolean> {
    return false;
  }
}
