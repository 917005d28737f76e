/** The contact sink's handler and what it is made of; the composition root (app.ts) builds the runner
 * (src/sink/runner.ts) around it. */
export { ContactHandler, stateKey, type ContactResult } from './handler';
export { ContactApplier, type Outcome } from './apply';
export { parseUpsert, isChangeEvent, attributeMapping, type ContactUpsert } from './input';
export { RejectedRecord } from '../rejected';
