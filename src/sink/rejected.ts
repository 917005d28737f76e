/** The error of a record a sink rejects (to the dead-letter topic, or a stop under tolerance none). */
import { CdcError } from '../errors';

/**
 * An input record a sink cannot apply as it stands: the record goes to the dead-letter topic with this
 * code and message (and, when Intercom refused it, Intercom's status and error), never to Intercom
 * half-understood. Retrying the same record cannot help.
 */
export class RejectedRecord extends CdcError {
  constructor(
    code: string,
    message: string,
    /** Intercom's answer, when it refused the record (every sink of this project writes to Intercom). */
    readonly intercom?: { status?: number; code?: string; requestId?: string },
  ) {
    super(message, { code, kind: 'system', retriable: false });
  }
}
