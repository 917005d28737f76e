/** The error of a local stack that could not be fetched, started or reached. */
import { CdcError } from '../errors';

/** The local test stack could not be fetched, started or reached; the message says how to fix it. */
export class StackError extends CdcError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'stack_unavailable', kind: 'config', retriable: false, cause });
  }
}
