import type { Message, TopicBatch } from './types';

/** Default bytes per produce request (see PublisherOptions.maxRequestBytes). */
export const MAX_REQUEST_BYTES = 768 * 1024;

/** Splits topic batches into requests of at most `limit` bytes (a lone larger message goes alone). */
export function chunks(batches: TopicBatch[], limit: number): TopicBatch[][] {
  const out: TopicBatch[][] = [];
  let current: TopicBatch[] = [];
  let bytes = 0;
  for (const batch of batches) {
    let part: TopicBatch = { topic: batch.topic, messages: [] };
    current.push(part);
    for (const m of batch.messages) {
      const n = size(m);
      if (bytes + n > limit && bytes > 0) {
        out.push(current);
        part = { topic: batch.topic, messages: [] };
        current = [part];
        bytes = 0;
      }
      part.messages.push(m);
      bytes += n;
    }
  }
  const last = current.filter((b) => b.messages.length > 0);
  if (last.length) out.push(last);
  return out.map((c) => c.filter((b) => b.messages.length > 0));
}

function size(m: Message): number {
  const len = (v: unknown) =>
    v === null || v === undefined ? 0 : Buffer.isBuffer(v) ? v.length : Buffer.byteLength(String(v));
  return len(m.key) + len(m.value) + 64;
}
