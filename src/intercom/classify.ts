/** The table of HTTP outcomes: what each answer or failure of a request means (see OUTCOME_RULES). */
import type { FailureKind } from '../errors';

/**
 * The one table of what an HTTP outcome means (after Airbyte's error handlers). The retry of the client
 * takes its decisions from it (retrying.ts), and the error that ends a request takes its code, kind and
 * hint from it (failure.ts). Actions:
 * - `retry`: transient; the same request may succeed after a backoff (bounded);
 * - `rate_limited`: wait until the rate-limit window resets, then send again;
 * - `busy`: the request opens a scroll while another scroll of the app is open (Intercom allows one per
 *   app): send again after a fixed wait, a bounded number of times; once the waits are spent, the
 *   answer stands as what it is, a refused request (`system`);
 * - `config`: the user must act (token, permissions, host); never retried;
 * - `system`: a bug or an unexpected answer (a request we built wrongly, an unknown error); never retried;
 * - `ignore`: the object is gone (404); callers that expect that (a deleted child) get `null`.
 */
export type OutcomeAction = 'retry' | 'rate_limited' | 'busy' | 'config' | 'system' | 'ignore';

/** One answer, or one failure to get an answer, and what the request was when that matters. */
export interface Outcome {
  /** HTTP status, when a response arrived. */
  status?: number;
  /** Intercom's error code (`token_unauthorized`) or Node's (`ECONNRESET`), or the client's own `EMALFORMED`. */
  errorCode?: string;
  /** The request opens a scroll (its first page, without `scroll_param`). */
  opensScroll?: boolean;
}

export interface OutcomeRule {
  /** Matches when the status is listed or falls in one of the inclusive ranges. */
  statuses?: readonly (number | readonly [number, number])[];
  /** Matches when the error code is listed; checked only for outcomes without a status. */
  errorCodes?: readonly string[];
  /** Matches only outcomes of a request that opens a scroll. */
  opensScroll?: true;
  action: OutcomeAction;
  /** The stable `code` of the error raised when this outcome ends a request. */
  code: string;
  /** What the user should do, appended to the error message. */
  hint?: string;
  /**
   * The request is sent once more when the token provider says a newer token exists (a 401 after the
   * token was refreshed elsewhere, or an OAuth token it can renew); otherwise `action` stands.
   */
  refreshToken?: true;
}

/** A body that is not the JSON it should be; raised by the client, retried like a broken connection. */
export const MALFORMED_BODY = 'EMALFORMED';

const TOKEN_HINT =
  'Set a valid access token in INTERCOM_TOKEN or INTERCOM_TOKEN_FILE, or run `intercom-cdc auth login` for a new OAuth token.';

/** First matching row wins; an outcome no row matches is a system failure. */
export const OUTCOME_RULES: readonly OutcomeRule[] = [
  { statuses: [429], action: 'rate_limited', code: 'rate_limited' },
  { statuses: [401], action: 'config', code: 'unauthorized', hint: TOKEN_HINT, refreshToken: true },
  {
    statuses: [403],
    action: 'config',
    code: 'forbidden',
    hint: 'Give the app the permissions it needs in the Developer Hub (read users and companies, conversations, tickets, tags, admins, articles).',
  },
  { statuses: [404], action: 'ignore', code: 'not_found' },
  {
    opensScroll: true,
    statuses: [400, 409],
    action: 'busy',
    code: 'bad_request',
    hint: 'Another scroll of the app stayed open (Intercom allows one per app): is another process of this app scrolling companies?',
  },
  { statuses: [408, 425], action: 'retry', code: 'timeout' },
  { statuses: [501, 505], action: 'system', code: 'http_5xx' },
  { statuses: [[500, 599]], action: 'retry', code: 'http_5xx' },
  { statuses: [[400, 499]], action: 'system', code: 'bad_request' },
  {
    errorCodes: ['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT'],
    action: 'retry',
    code: 'timeout',
  },
  {
    errorCodes: [
      'ECONNRESET',
      'ECONNREFUSED',
      'EPIPE',
      'EAI_AGAIN',
      'ENETUNREACH',
      'EHOSTUNREACH',
      'ERR_BAD_RESPONSE',
    ],
    action: 'retry',
    code: 'network',
  },
  { errorCodes: [MALFORMED_BODY], action: 'retry', code: 'malformed_response' },
  {
    errorCodes: [
      'ENOTFOUND',
      'ERR_INVALID_URL',
      'CERT_HAS_EXPIRED',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    ],
    action: 'config',
    code: 'unreachable',
    hint: 'Check INTERCOM_REGION or INTERCOM_BASE_URL and the network path to Intercom.',
  },
];

const FALLBACK: OutcomeRule = { action: 'system', code: 'unexpected' };

function statusMatches(rule: OutcomeRule, status: number): boolean {
  return (rule.statuses ?? []).some((s) =>
    typeof s === 'number' ? s === status : status >= s[0] && status <= s[1],
  );
}

/** The table row that decides this outcome. */
export function ruleFor(outcome: Outcome): OutcomeRule {
  const { status, errorCode } = outcome;
  const matches = (rule: OutcomeRule): boolean =>
    (!rule.opensScroll || outcome.opensScroll === true) &&
    (status !== undefined
      ? statusMatches(rule, status)
      : errorCode !== undefined && (rule.errorCodes ?? []).includes(errorCode));
  return OUTCOME_RULES.find(matches) ?? FALLBACK;
}

/** What to do with one outcome (see {@link OutcomeAction}). */
export function classify(outcome: Outcome): OutcomeAction {
  return ruleFor(outcome).action;
}

/**
 * The failure kind of an outcome that ended a request: retried-out transients stay `transient`; a scroll
 * still busy after its waits is the refused request it is (`system`).
 */
export function failureKindOf(action: OutcomeAction): FailureKind {
  if (action === 'config') return 'config';
  if (action === 'retry' || action === 'rate_limited') return 'transient';
  return 'system';
}
