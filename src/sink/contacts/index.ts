/** The contact sink's handler and what it is made of; the runner (src/kafka/sink-runner.ts) is built around it by the composition root (app.ts). */
export { ContactHandler, stateKey, type ContactResult } from './handler';
export { ContactApplier, type Outcome } from './apply';
export { parseUpsert, isChangeEvent, attributeMapping, type ContactUpsert } from './input';
export { RejectedRecord } from '../rejected';
