import { randomUUID } from 'node:crypto';
import { CdcError } from '../errors';

/** An error the simulated API answers with: HTTP status plus Intercom's `error.list` body. */
export class ApiError extends CdcError {
  readonly status: number;
  readonly apiCode: string;

  constructor(status: number, apiCode: string, message: string) {
    super(message, { code: `sim_${apiCode}`, kind: status >= 500 ? 'transient' : 'config' });
    this.status = status;
    this.apiCode = apiCode;
  }

  body(): Record<string, unknown> {
    return errorBody(this.apiCode, this.message);
  }
}

export function errorBody(code: string, message: string): Record<string, unknown> {
  return { type: 'error.list', request_id: randomUUID(), errors: [{ code, message }] };
}

export const badRequest = (message: string, code = 'parameter_invalid'): ApiError =>
  new ApiError(400, code, message);
export const notFound = (message = 'Resource Not Found'): ApiError => new ApiError(404, 'not_found', message);
