import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../src/logger';
import type { ClientObserver, Page } from '../../../src/intercom';

/** A logger at debug level whose JSON lines are kept in `lines`, to grep them. */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

/** Every event the client reported, by hook. */
export function recordingObserver(): ClientObserver & {
  requests: Parameters<NonNullable<ClientObserver['request']>>[0][];
  retries: Parameters<NonNullable<ClientObserver['retry']>>[0][];
  throttles: Parameters<NonNullable<ClientObserver['throttled']>>[0][];
} {
  const requests: Parameters<NonNullable<ClientObserver['request']>>[0][] = [];
  const retries: Parameters<NonNullable<ClientObserver['retry']>>[0][] = [];
  const throttles: Parameters<NonNullable<ClientObserver['throttled']>>[0][] = [];
  return {
    requests,
    retries,
    throttles,
    request: (e) => void requests.push(e),
    retry: (e) => void retries.push(e),
    throttled: (e) => void throttles.push(e),
  };
}

/** The ids of every item of every page, in order. */
export async function collectIds(pages: AsyncIterable<Page<{ id: string }>>): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of pages) ids.push(...page.items.map((item) => String(item.id)));
  return ids;
}

/** The rejection of a promise that must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

export const sorted = (ids: string[]): string[] => [...ids].sort();

/** A wall clock the test moves by hand, for the simulator (token and scroll expiry) and the client. */
export function handClock(): { now: () => number; advance: (ms: number) => void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}
