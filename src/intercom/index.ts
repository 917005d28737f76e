/** The Intercom side of the connector: the REST client, its errors, rate limiting and OAuth tokens. */
export { baseUrlFor, DEFAULT_API_VERSION, REGIONS, type Region } from './region';
export {
  classify,
  failureKindOf,
  OUTCOME_RULES,
  ruleFor,
  type Outcome,
  type OutcomeAction,
  type OutcomeRule,
} from './classify';
export { IntercomError, type IntercomErrorOptions } from './errors';
export { RateLimiter, type RateLimiterOptions } from './rate-limiter';
export { readRateLimit, readRetryAfter, type RateLimitSnapshot } from './rate-headers';
export { routeOf } from './route';
export { PageGuard, MAX_PER_PAGE, type Page, type Query } from './pagination';
export type { ClientObserver } from './chain';
export { IntercomClient, type IntercomClientOptions, type MeResponse } from './client';
export { StaticTokenProvider, type TokenProvider, type TokenSet } from './auth/token';
export { OAuthTokenProvider, type OAuthTokenProviderOptions } from './auth/oauth-provider';
export { formatTokenSet, parseTokenFile, readTokenFile, writeTokenFile } from './auth/token-file';
export { requestTokens, tokenSetFrom, type Grant, type TokenEndpoint } from './auth/token-endpoint';
export { runAuthorizationCodeFlow, authorizeUrlFor, type AuthorizationCodeFlowOptions } from './auth/login';
