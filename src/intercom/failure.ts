import type { AxiosError } from 'axios';
import { failureKindOf, ruleFor, type OutcomeAction } from './classify';
import type { RequestSpec } from './client';
import { IntercomError, parseErrorBody, safeCause, scrubSecrets } from './errors';
import { routeOf } from './route';
import { outcomeOf, parseLenient, type Attempts } from './transport';

/**
 * The IntercomError that ends a request, and the outcome-table action behind it. The message names
 * method, route, status or transport code, Intercom's error code and message, the attempts made,
 * Intercom's request_id and the fix; the token of the request is scrubbed from it and from the cause.
 */
export function failureOf(
  error: unknown,
  spec: RequestSpec,
  attempts: Attempts,
): { action: OutcomeAction; failure: IntercomError } {
  const route = routeOf(spec.path);
  const secrets = [attempts.token];
  const outcome = outcomeOf(error);
  const rule = ruleFor(outcome);
  const response = (error as Partial<AxiosError>).response;
  const body = parseErrorBody(parseLenient(response?.data));
  const requestId = body.requestId ?? (response?.headers?.['x-request-id'] as string | undefined);
  const answer =
    outcome.status !== undefined
      ? `answered ${outcome.status}`
      : `failed (${outcome.errorCode ?? 'unknown error'})`;
  const detail = body.code ? ` ${body.code}${body.message ? `: ${body.message}` : ''}` : '';
  const tries =
    attempts.transient + attempts.rateLimited > 0
      ? ` after ${attempts.transient + attempts.rateLimited + 1} attempts`
      : '';
  const requestIdPart = requestId ? ` (request_id ${requestId})` : '';
  const message = `Intercom ${spec.method} ${route} ${answer}${detail}${tries}${requestIdPart}.${rule.hint ? ` ${rule.hint}` : ''}`;
  const kind = failureKindOf(rule.action);
  const failure = new IntercomError(scrubSecrets(message, secrets), {
    code: rule.code,
    kind,
    status: outcome.status,
    requestId,
    route,
    intercomCode: body.code,
    cause: safeCause(error, secrets),
  });
  return { action: rule.action, failure };
}
