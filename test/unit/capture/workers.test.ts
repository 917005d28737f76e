/**
 * The capture's worker threads (src/capture/workers.ts): what a worker prepares equals what the same
 * preparation gives inline, byte for byte; a worker that dies fails what it held (transient) and is
 * replaced; a closed pool refuses work.
 */
import { compilePolicies, prepare, type Preparation } from '../../../src/capture/prepare';
import { createPreparer, type Preparer } from '../../../src/capture/workers';
import type { Reading } from '../../../src/normalize';
import conversation from '../../fixtures/intercom/conversations.json';
import part from '../../fixtures/intercom/conversation_parts.json';
import contact from '../../fixtures/intercom/contacts.json';

const page: Preparation = { kind: 'page', stream: 'contacts', listKey: 'data' };
const text = JSON.stringify({
  type: 'list',
  data: [
    contact,
    { ...contact, id: 'c2', email: 'ü@example.com' },
    null,
    { ...contact, id: 'c3', updated_at: 'not a time' },
    { ...contact, id: 'c4', role: { nested: 'not a string' } },
  ],
  pages: { next: { starting_after: 'abc' } },
  total_count: 5,
});

/** A reading with its byte views as plain arrays, to compare across threads. */
function plain(reading: Reading): unknown {
  if (!reading.ok) return reading;
  return { ...reading, json: Array.from(reading.json), after: reading.after && Array.from(reading.after) };
}

let pool: Preparer;
beforeAll(() => {
  pool = createPreparer(2);
});
afterAll(() => pool.close());

describe('capture workers', () => {
  it('prepare a page as the inline preparation does: readings, failures and the rest of the body', async () => {
    const inline = prepare(text, page) as { data: Reading[]; pages: unknown; total_count: number };
    const threaded = (await pool.prepare(text, page)) as typeof inline;
    expect(threaded.pages).toEqual(inline.pages);
    expect(threaded.total_count).toBe(5);
    expect(threaded.data.map(plain)).toEqual(inline.data.map(plain));
    expect(threaded.data.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'ok',
      'ok',
      'invalid_item',
      expect.any(String),
      'ok',
    ]);
    const unmapped = threaded.data[4]!;
    expect(unmapped.ok && unmapped.after === null && unmapped.unmapped?.code).toBe('mapping_failed');
  });

  it('prepare a fetched conversation into itself and its parts, as inline', async () => {
    const body = JSON.stringify({
      ...conversation,
      conversation_parts: { type: 'conversation_part.list', conversation_parts: [part], total_count: 1 },
    });
    const how: Preparation = {
      kind: 'object',
      stream: 'conversations',
      id: String(conversation.id),
      children: true,
    };
    const inline = prepare(body, how) as { own: Reading; children: Reading[] };
    const threaded = (await pool.prepare(body, how)) as typeof inline;
    expect(plain(threaded.own)).toEqual(plain(inline.own));
    expect(threaded.children.map(plain)).toEqual(inline.children.map(plain));
    expect(threaded.children).toHaveLength(1);
  });

  it('prepare an answer given as its UTF-8 bytes, its own buffer (moved) or a slice of a shared one (copied)', async () => {
    const inline = prepare(text, page) as { data: Reading[] };
    const own = Buffer.from(new TextEncoder().encode(text));
    const shared = Buffer.concat([Buffer.from('xx'), Buffer.from(text), Buffer.from('yy')]).subarray(
      2,
      2 + Buffer.byteLength(text),
    );
    for (const bytes of [own, shared]) {
      const threaded = (await pool.prepare(bytes, page)) as typeof inline;
      expect(threaded.data.map(plain)).toEqual(inline.data.map(plain));
    }
    expect(shared.buffer.byteLength).toBeGreaterThan(0); // a slice is copied: its buffer stays usable
  });

  it('answer undefined for a text that is not a JSON object (the client retries it as malformed)', async () => {
    await expect(pool.prepare('{"data": [', page)).resolves.toBeUndefined();
    await expect(pool.prepare('[1,2]', page)).resolves.toBeUndefined();
  });

  it('spread answers over the threads, and keep each answer with its request', async () => {
    const texts = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ data: [{ ...contact, id: `p${i}` }] }),
    );
    const answers = await Promise.all(texts.map((t) => pool.prepare(t, page)));
    expect(answers.map((a) => ((a as { data: Reading[] }).data[0] as { id: string }).id)).toEqual(
      texts.map((_, i) => `p${i}`),
    );
  });

  it('fail what a dying thread held with a transient error, and replace the thread', async () => {
    const failures: Error[] = [];
    const own = createPreparer(1, { workerFailed: (e) => failures.push(e) });
    try {
      // A page so large that the worker runs out of its heap while it prepares it would be slow to
      // build; terminate the thread from outside instead, through the pool's own handle on it.
      const threads = (own as unknown as { pool: { worker: { terminate(): Promise<number> } }[] }).pool;
      const held = own.prepare(JSON.stringify({ data: Array.from({ length: 2000 }, () => contact) }), page);
      await threads[0]!.worker.terminate();
      await expect(held).rejects.toMatchObject({ code: 'worker_failed', kind: 'transient' });
      expect(failures).toHaveLength(1);
      const after = (await own.prepare(text, page)) as { data: Reading[] };
      expect(after.data).toHaveLength(5);
    } finally {
      await own.close();
    }
  });

  it('refuse work once closed', async () => {
    const own = createPreparer(1);
    await own.close();
    await expect(own.prepare(text, page)).rejects.toMatchObject({ code: 'closed' });
  });

  it('prepare inline with 0 threads', async () => {
    const inline = createPreparer(0);
    expect(inline.threads).toBe(0);
    const body = (await inline.prepare(text, page)) as { data: Reading[] };
    expect(body.data).toHaveLength(5);
  });

  it('prepare under the field policy they were started with, as inline, on every copy', async () => {
    const settings = {
      streams: { contacts: { mask: ['email'], hash: ['name'], drop: ['custom_attributes'] } },
      secret: 'a-secret-for-the-workers-test',
    };
    const inline = prepare(text, page, undefined, compilePolicies(settings)) as { data: Reading[] };
    for (const threads of [1, 0]) {
      const own = createPreparer(threads, {}, settings);
      try {
        const threaded = (await own.prepare(text, page)) as { data: Reading[] };
        expect(threaded.data.map(plain)).toEqual(inline.data.map(plain));
        const copies = threaded.data.map((r) => (r.ok ? Buffer.from(r.json).toString() : r.copy.json));
        for (const copy of [copies[0], copies[1], copies[3]]) {
          expect(copy).toContain('"email":"****"');
          expect(copy).not.toContain('custom_attributes');
        }
      } finally {
        await own.close();
      }
    }
    // Without a policy the same page keeps the email.
    const plainPage = (await pool.prepare(text, page)) as { data: Reading[] };
    expect(Buffer.from((plainPage.data[1] as { json: Uint8Array }).json).toString()).toContain(
      'ü@example.com',
    );
  });
});
