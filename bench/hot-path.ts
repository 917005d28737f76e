/**
 * CPU cost of each step the connector takes per object, on objects the simulator serves (contacts from
 * a list page, conversations with their parts from GETs), in one process, no Kafka:
 *
 *   npx tsx bench/hot-path.ts [--rounds 400]
 *
 * Prints µs per object for: JSON.parse of the page text, the safety check alone, the canonical JSON,
 * the canonical JSON with the safety checks (what a read does), the content hash, the Avro value of the
 * envelope (typed mapping and encoding in one pass, raw given), the whole read and change event (hash of
 * the raw bytes, Avro key and value), and `JSON.stringify` of the same object for scale. Each step is
 * warmed up first; the figures are this process's CPU time over `rounds` passes, per object. Not recorded in RESULTS.md: it explains the end-to-end figures there.
 */
import type { StreamCodec } from '../src/capture/contracts';
import { changeEvent } from '../src/capture/events';
import { EventCodec } from '../src/kafka/wire';
import {
  assertSafeJson,
  canonicalJson,
  contentHash,
  loadStreamSchemas,
  read,
  safeCanonicalJson,
} from '../src/normalize';
import { startSimulator } from '../src/sim';
import { STREAM_DEFS } from '../src/streams/definitions';
import { numberArg, runMain } from './lib';

type Obj = Record<string, unknown>;

async function main(): Promise<void> {
  const rounds = numberArg('rounds', 400);
  const sim = await startSimulator({ seed: 1, size: { contacts: 2000, conversations: 300, companies: 0 } });
  const get = async (path: string): Promise<string> =>
    (
      await fetch(`${sim.url}${path}`, {
        headers: { authorization: 'Bearer bench', 'Intercom-Version': '2.14' },
      })
    ).text();
  const contactPage = await get('/contacts?per_page=150');
  const conversationList = JSON.parse(await get('/conversations?per_page=40')) as { conversations: Obj[] };
  const conversationTexts = await Promise.all(
    conversationList.conversations.map((c) => get(`/conversations/${String(c.id)}`)),
  );
  await sim.close();

  const sets: Record<'contacts' | 'conversations', { texts: string[]; objects: Obj[] }> = {
    contacts: { texts: [contactPage], objects: (JSON.parse(contactPage) as { data: Obj[] }).data },
    conversations: { texts: conversationTexts, objects: conversationTexts.map((t) => JSON.parse(t) as Obj) },
  };
  const settings = {
    connector: 'bench',
    workspaceId: 'w',
    apiVersion: '2.14',
    includeRaw: true,
    dlqTopic: 'dlq',
  };
  for (const [stream, { texts, objects }] of Object.entries(sets) as [
    keyof typeof sets,
    { texts: string[]; objects: Obj[] },
  ][]) {
    const schemas = loadStreamSchemas(stream);
    const codec: StreamCodec = { stream, topic: stream, wire: new EventCodec(schemas, { key: 1, value: 2 }) };
    const raws = new Map(objects.map((o) => [o, canonicalJson(o)]));
    const source = {
      connector: 'bench',
      workspace_id: 'w',
      api_version: '2.14',
      snapshot: true,
      updated_at: 1,
      prev_updated_at: null,
      version: '0.1.0',
      ts_ms: 1,
      snapshot_debezium: 'true' as const,
    };
    const steps: [string, (o: Obj) => unknown][] = [
      ['JSON.stringify (for scale)', (o) => JSON.stringify(o)],
      ['safety check', (o) => assertSafeJson(o, stream)],
      ['canonical JSON', (o) => canonicalJson(o)],
      ['canonical JSON with the safety checks', (o) => safeCanonicalJson(o, stream)],
      ['content hash', (o) => contentHash(o)],
      [
        'Avro value of the envelope (typed mapping and encoding, raw given)',
        (o) =>
          codec.wire.event({
            op: 'r',
            tsMs: 0,
            source: { ...source, stream },
            object: o,
            raw: raws.get(o)!,
          }),
      ],
      [
        'read + change event (safety, raw, mapping, Avro, hash)',
        (o) => {
          const r = read(STREAM_DEFS[stream], String(o.id), o);
          if (!r.ok) throw r.error;
          const e = changeEvent(
            settings,
            codec,
            {
              id: r.id,
              op: 'r',
              object: r.object,
              updatedAtMs: r.updatedAtMs,
              prevUpdatedAtMs: null,
              json: r.json,
            },
            0,
          );
          if (!e.ok) throw e.error;
          r.hashOf(e.raw);
        },
      ],
    ];
    const bytes = texts.reduce((n, t) => n + t.length, 0) / objects.length;
    console.log(`\n${stream}: ${objects.length} objects, ${Math.round(bytes)} bytes of JSON each`);
    // CPU time (user + system) of this process, after a warm-up long enough for the optimizing
    // compiler: wall time would count whatever else runs on the machine.
    const perObject = (f: () => void, n: number) => {
      for (let w = 0; w < Math.max(50, rounds); w++) f();
      const before = process.cpuUsage();
      for (let i = 0; i < rounds; i++) f();
      const used = process.cpuUsage(before);
      return (used.user + used.system) / (rounds * n);
    };
    console.log(
      `  JSON.parse of the answers: ${perObject(() => texts.forEach((t) => JSON.parse(t)), objects.length).toFixed(1)} µs`,
    );
    for (const [name, step] of steps)
      console.log(
        `  ${name}: ${perObject(() => objects.forEach((o) => step(o)), objects.length).toFixed(1)} µs`,
      );
  }
}

runMain(main);
