/**
 * The webhook receiver (README, "Webhooks"): an HTTP endpoint Intercom posts notifications to. Stateless:
 * it checks each body's signature, files each verified notification in Kafka through a
 * NotificationWriter and answers 200 only once Kafka acknowledged it; any number of replicas can serve
 * one URL. It keeps nothing but counters.
 *
 * Answers: HEAD 200 (Intercom validates the URL with it); POST 200 (filed, or a ping), 400 (not a
 * notification), 401 (unsigned or forged), 413 (over the size bound), 503 (Kafka did not acknowledge
 * in time: Intercom delivers again later); 404 on another path, 405 on another method. Never 429: a 429
 * makes Intercom throttle the whole app's deliveries for hours.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MalformedNotification, notificationKey, parseNotification, type Notification } from './notification';
import { SIGNATURE_HEADER, verifySignature } from './signature';

/** One record of the webhooks topic: the verified body as sent, keyed by workspace and object. */
export interface NotificationRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** Where verified notifications go (src/kafka/webhooks.ts on Kafka). */
export interface NotificationWriter {
  /** Resolves once the record is acknowledged by every in-sync replica (acks=all); rejects otherwise. */
  write(record: NotificationRecord): Promise<void>;
}

/** How a request ended: the `result` label of the receiver's metrics. */
export type ReceiverResult =
  | 'filed'
  | 'ping'
  | 'head'
  | 'unsigned'
  | 'malformed_signature'
  | 'forged'
  | 'oversized'
  | 'malformed'
  | 'kafka_unavailable'
  | 'not_found'
  | 'method_not_allowed'
  | 'aborted'
  | 'error';

const STATUS: Record<ReceiverResult, number> = {
  filed: 200,
  ping: 200,
  head: 200,
  unsigned: 401,
  malformed_signature: 401,
  forged: 401,
  oversized: 413,
  malformed: 400,
  kafka_unavailable: 503,
  not_found: 404,
  method_not_allowed: 405,
  aborted: 400,
  error: 500,
};

/** Told of every answer: its result, the notification's topic when the body was verified, and how long it took. */
export interface ReceiverObserver {
  answered(result: ReceiverResult, topic: string | undefined, seconds: number): void;
}

export interface ReceiverSettings {
  /** The path notifications are posted to, e.g. `/webhooks`. */
  path: string;
  /** The app's client secret, then the previous one during a rotation (empty strings are skipped). */
  secrets: readonly string[];
  /** Largest body accepted, in bytes; a longer one is answered 413 without being read to its end. */
  maxBodyBytes: number;
  /** How long Kafka has to acknowledge a notification before the answer is 503, in ms. */
  ackTimeoutMs: number;
}

/** A request's outcome, decided before anything is written to the response. */
interface Outcome {
  result: ReceiverResult;
  topic?: string;
}

/**
 * The request handler of a receiver. Exposed apart from the server so that `run` can serve it on a
 * port of its own and tests can drive it; `now` is the clock durations are measured with.
 */
export function webhookHandler(
  settings: ReceiverSettings,
  writer: NotificationWriter,
  observer: ReceiverObserver,
  now: () => number = () => performance.now(),
): http.RequestListener {
  return (req, res) => {
    const started = now();
    // An unexpected failure (a bug, not a bad request or Kafka away) is a 500: Intercom delivers again.
    const outcome = decide(req, settings, writer).catch((): Outcome => ({ result: 'error' }));
    void outcome.then(({ result, topic }) => {
      const status = STATUS[result];
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/plain' };
      if (result === 'method_not_allowed') headers.allow = 'HEAD, POST';
      // A body left unread (oversized) must not be parsed as the next request on this connection.
      if (result === 'oversized' || result === 'aborted') headers.connection = 'close';
      if (!res.destroyed)
        res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : `${result}\n`);
      observer.answered(result, topic, (now() - started) / 1000);
    });
  };
}

async function decide(
  req: http.IncomingMessage,
  settings: ReceiverSettings,
  writer: NotificationWriter,
): Promise<Outcome> {
  if ((req.url ?? '/').split('?')[0] !== settings.path) return drained(req, 'not_found');
  if (req.method === 'HEAD') return drained(req, 'head');
  if (req.method !== 'POST') return drained(req, 'method_not_allowed');
  const body = await readBody(req, settings.maxBodyBytes);
  if (typeof body === 'string') return { result: body };
  const verdict = verifySignature(body, req.headers[SIGNATURE_HEADER], settings.secrets);
  if (verdict !== 'ok') return { result: verdict };
  let notification: Notification;
  try {
    notification = parseNotification(body);
  } catch (error) {
    if (error instanceof MalformedNotification) return { result: 'malformed' };
    throw error;
  }
  if (notification.kind === 'ping') return { result: 'ping', topic: 'ping' };
  const record: NotificationRecord = {
    key: notificationKey(notification),
    value: body,
    headers: {
      'intercom-topic': notification.topic,
      'intercom-notification-id': notification.id,
      'received-at-ms': String(Date.now()),
    },
  };
  const filed = await withinMs(writer.write(record), settings.ackTimeoutMs);
  return { result: filed ? 'filed' : 'kafka_unavailable', topic: notification.topic };
}

/** Reads the rest of a request that is answered without it (a HEAD or a wrong path), then `result`. */
function drained(req: http.IncomingMessage, result: ReceiverResult): Outcome {
  req.resume();
  return { result };
}

/**
 * The request body, or why there is none: `oversized` as soon as it (or its Content-Length) passes
 * `max` bytes (the rest is not read), `aborted` when the client goes away first.
 */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | 'oversized' | 'aborted'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.resolve('oversized');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (outcome: Buffer | 'oversized' | 'aborted') => {
      req.removeAllListeners('data');
      resolve(outcome);
    };
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > max) {
        req.pause();
        finish('oversized');
      } else chunks.push(chunk);
    });
    req.once('end', () => finish(Buffer.concat(chunks, length)));
    req.once('error', () => finish('aborted'));
    req.once('aborted', () => finish('aborted'));
  });
}

/** Whether `write` settled successfully within `ms`; a failure or a timeout is false (never a throw). */
async function withinMs(write: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([write.then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** A receiver listening on `host:port`; `close` stops taking requests and ends open connections. */
export interface RunningReceiver {
  readonly port: number;
  readonly address: string;
  close(): Promise<void>;
}

/**
 * Serves `handler` on `host:port` (0: a free port). Slow clients are cut off: headers within 10 s and
 * the whole request within 15 s (Intercom itself gives up after 5 s).
 */
export async function startReceiver(
  listen: { port: number; host: string },
  handler: http.RequestListener,
): Promise<RunningReceiver> {
  const server = http.createServer({ headersTimeout: 10_000, requestTimeout: 15_000 }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    port: address.port,
    address: address.address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
