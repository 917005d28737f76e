import http from 'node:http';
import {
  startReceiver,
  webhookHandler,
  type NotificationRecord,
  type NotificationWriter,
  type ReceiverResult,
  type RunningReceiver,
} from '../../../src/webhooks/receiver';
import { sign } from '../../../src/webhooks/signature';

const SECRET = 'client-secret';
const PREVIOUS = 'old-secret';

const notification = (topic = 'contact.user.updated', id = 'notif_1', itemId = 'c1') =>
  JSON.stringify({
    type: 'notification_event',
    app_id: 'app1',
    id,
    topic,
    created_at: 1700000000,
    delivery_attempts: 1,
    data: { type: 'notification_event_data', item: { type: 'contact', id: itemId } },
  });

/** A writer that keeps what it is given, answering as `mode` says. */
class MemoryWriter implements NotificationWriter {
  readonly records: NotificationRecord[] = [];
  mode: 'ack' | 'fail' | 'hang' = 'ack';
  write(record: NotificationRecord): Promise<void> {
    if (this.mode === 'fail') return Promise.reject(new Error('Kafka away'));
    if (this.mode === 'hang') return new Promise(() => undefined);
    this.records.push(record);
    return Promise.resolve();
  }
}

/** A raw request (node:http, so that bodies and headers are exactly what the test says). */
function request(
  port: number,
  options: { method?: string; path?: string; body?: string | Buffer; headers?: http.OutgoingHttpHeaders },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        port,
        host: '127.0.0.1',
        method: options.method ?? 'POST',
        path: options.path ?? '/hooks',
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

const signed = (body: string, secret = SECRET) => ({
  body,
  headers: { 'content-type': 'application/json', 'x-hub-signature': sign(body, secret) },
});

describe('the webhook receiver', () => {
  let receiver: RunningReceiver;
  const writer = new MemoryWriter();
  const results: { result: ReceiverResult; topic?: string }[] = [];

  beforeAll(async () => {
    const handler = webhookHandler(
      { path: '/hooks', secrets: [SECRET, PREVIOUS], maxBodyBytes: 4096, ackTimeoutMs: 200 },
      writer,
      { answered: (result, topic) => results.push({ result, topic }) },
    );
    receiver = await startReceiver({ port: 0, host: '127.0.0.1' }, handler);
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    writer.records.length = 0;
    writer.mode = 'ack';
    results.length = 0;
  });

  it('answers HEAD on its path with 200 (how Intercom validates the URL)', async () => {
    expect(await request(receiver.port, { method: 'HEAD' })).toEqual({ status: 200, text: '' });
    expect(results).toEqual([{ result: 'head', topic: undefined }]);
  });

  it('files a verified notification, keyed by workspace and object, before answering 200', async () => {
    const body = notification();
    expect((await request(receiver.port, signed(body))).status).toBe(200);
    expect(writer.records).toHaveLength(1);
    const [record] = writer.records;
    expect(record?.key).toBe('app1:contact:c1');
    expect(record?.value.toString()).toBe(body);
    expect(record?.headers).toMatchObject({
      'intercom-topic': 'contact.user.updated',
      'intercom-notification-id': 'notif_1',
    });
    expect(results).toEqual([{ result: 'filed', topic: 'contact.user.updated' }]);
  });

  it('accepts a body signed with the previous secret (rotation)', async () => {
    expect((await request(receiver.port, signed(notification(), PREVIOUS))).status).toBe(200);
    expect(writer.records).toHaveLength(1);
  });

  it('acknowledges a ping without keeping it', async () => {
    const ping = JSON.stringify({
      type: 'notification_event',
      app_id: 'app1',
      id: 'notif_p',
      topic: 'ping',
      data: { item: { type: 'ping', message: 'hello' } },
    });
    expect((await request(receiver.port, signed(ping))).status).toBe(200);
    expect(writer.records).toEqual([]);
    expect(results).toEqual([{ result: 'ping', topic: 'ping' }]);
  });

  it('refuses forged, unsigned and oddly signed bodies with 401, and files none of them', async () => {
    const body = notification();
    expect((await request(receiver.port, signed(body, 'guessed'))).status).toBe(401);
    expect((await request(receiver.port, { body })).status).toBe(401);
    expect((await request(receiver.port, { body, headers: { 'x-hub-signature': 'sha256=00' } })).status).toBe(
      401,
    );
    // A signature of another body (a replay with the content changed).
    const other = signed(notification('contact.deleted'));
    expect((await request(receiver.port, { body, headers: other.headers })).status).toBe(401);
    expect(writer.records).toEqual([]);
    expect(results.map((r) => r.result)).toEqual(['forged', 'unsigned', 'malformed_signature', 'forged']);
    expect(results.every((r) => r.topic === undefined)).toBe(true);
  });

  it('refuses a body over the bound with 413, by its Content-Length or as it streams', async () => {
    const big = 'x'.repeat(5000);
    expect((await request(receiver.port, signed(big))).status).toBe(413);
    const chunked = await request(receiver.port, {
      body: big,
      headers: { 'transfer-encoding': 'chunked', 'x-hub-signature': sign(big, SECRET) },
    });
    expect(chunked.status).toBe(413);
    expect(results.map((r) => r.result)).toEqual(['oversized', 'oversized']);
  });

  it('refuses a signed body that is not a notification with 400', async () => {
    expect((await request(receiver.port, signed('{"hello":'))).status).toBe(400);
    expect((await request(receiver.port, signed('{"type":"notification_event"}'))).status).toBe(400);
    expect(results.map((r) => r.result)).toEqual(['malformed', 'malformed']);
  });

  it('answers 503, never 429, when Kafka fails or does not acknowledge in time', async () => {
    writer.mode = 'fail';
    expect((await request(receiver.port, signed(notification()))).status).toBe(503);
    writer.mode = 'hang';
    const started = Date.now();
    expect((await request(receiver.port, signed(notification()))).status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(results.map((r) => r.result)).toEqual(['kafka_unavailable', 'kafka_unavailable']);
  });

  it('answers 404 on another path and 405 to another method', async () => {
    expect((await request(receiver.port, { ...signed(notification()), path: '/other' })).status).toBe(404);
    expect((await request(receiver.port, { method: 'GET' })).status).toBe(405);
    expect(writer.records).toEqual([]);
  });
});
