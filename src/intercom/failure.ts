/**
 * What a failed attempt was, and the error that ends a request. `outcomeOf` reads an attempt's failure
 * as the outcome table (classify.ts) sees it; `failureOf` is the one place a request's end becomes an
 * error: the retry (retrying.ts) decides from the same outcome, and nothing else builds an
 * IntercomError from an HTTP failure.
 */
import type { AxiosError, InternalAxiosRequestConfig } from 'axios';
import { CdcError } from '../errors';
import { failureKindOf, ruleFor, type Outcome, type OutcomeAction } from './classify';
import { IntercomError, parseErrorBody, parseLenient, safeCause, scrubSecrets } from './errors';
import { routeOf } from './route';

/** What the failure of a request depends on besides the answer: what was asked, and how. */
export interface FailedRequest {
  method: string;
  path: string;
  opensScroll?: boolean;
}

/**
 * The outcome of a failed attempt: its error status and Intercom code when an answer arrived, else its
 * transport code (Node's, axios', or {@link MALFORMED_BODY} for a success whose body is not JSON).
 */
export function outcomeOf(error: unknown, request: Pick<FailedRequest, 'opensScroll'>): Outcome {
  const axiosError = error as Partial<AxiosError<unknown>>;
  const response = axiosError.response;
  const opensScroll = request.opensScroll === true ? { opensScroll: true } : {};
  if (response && (response.status < 200 || response.status >= 300)) {
    const errorCode = parseErrorBody(parseLenient(response.data)).code;
    return { status: response.status, errorCode, ...opensScroll };
  }
  return { errorCode: axiosError.code, ...opensScroll }; // no answer, or a success that broke off or is not JSON
}

/** The access token an attempt carried (`Authorization: Bearer …`), to name the failed one and to scrub it. */
export function tokenOf(config: InternalAxiosRequestConfig | undefined): string | undefined {
  const header = config?.headers?.get?.('Authorization');
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
}

/**
 * The error that ends a request, and the table's action for it (undefined for an error raised on
 * purpose inside the chain, a CdcError such as a refused token refresh, which ends the request as it
 * is). The IntercomError's message names method, route, status or transport code, Intercom's error
 * code and message, the attempts made (`retries` after the first), Intercom's request_id and the fix;
 * the token of the request is scrubbed from it and from its cause.
 */
export function failureOf(
  error: unknown,
  request: FailedRequest,
  retries: number,
): { action?: OutcomeAction; failure: CdcError } {
  if (error instanceof CdcError) return { failure: error };
  const route = routeOf(request.path);
  const secrets = [tokenOf((error as Partial<AxiosError>).config)];
  const outcome = outcomeOf(error, request);
  const rule = ruleFor(outcome);
  const response = (error as Partial<AxiosError>).response;
  const body = parseErrorBody(parseLenient(response?.data));
  const requestId = body.requestId ?? (response?.headers?.['x-request-id'] as string | undefined);
  const answer =
    outcome.status !== undefined
      ? `answered ${outcome.status}`
      : `failed (${outcome.errorCode ?? 'unknown error'})`;
  const detail = body.code ? ` ${body.code}${body.message ? `: ${body.message}` : ''}` : '';
  const tries = retries > 0 ? ` after ${retries + 1} attempts` : '';
  const requestIdPart = requestId ? ` (request_id ${requestId})` : '';
  const message = `Intercom ${request.method} ${route} ${answer}${detail}${tries}${requestIdPart}.${rule.hint ? ` ${rule.hint}` : ''}`;
  const failure = new IntercomError(scrubSecrets(message, secrets), {
    code: rule.code,
    kind: failureKindOf(rule.action),
    status: outcome.status,
    requestId,
    route,
    intercomCode: body.code,
    cause: safeCause(error, secrets),
  });
  return { action: rule.action, failure };
}
