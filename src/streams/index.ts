/** What the connector captures: the stream names (names.ts) and what each stream is (definitions.ts). */
export { STREAMS, isStreamName, type StreamName } from './names';
export { STREAM_DEFS, idOf, withChildren, type StreamDef } from './definitions';
