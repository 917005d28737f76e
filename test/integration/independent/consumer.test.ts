import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildApp } from '../../../src/app';
import { STREAMS } from '../../../src/streams';
import { silentLogger } from '../../../src/logger';
import type { SimStream } from '../../../src/sim';
import { stackEnv } from '../../stack/env';
import { testConfig } from '../capture/harness';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({
  seed: 21,
  size: { contacts: 40, conversations: 10, companies: 5, tickets: 5, articles: 4 },
}));

const ROOT = path.resolve(__dirname, '../../..');
const UNTIMED = new Set(['admins', 'teams', 'tags']);

interface Line {
  topic: string;
  id: string;
  tombstone?: boolean;
  op?: string;
  updated_at?: number | null;
  after_id?: string | null;
  raw?: string | null;
}

/**
 * A client nobody here wrote (Confluent's Python client and its Schema Registry Avro deserializer,
 * read_committed) decodes every topic, and what it reads matches the simulator's ground truth.
 */
describe('an independent consumer', () => {
  it('decodes every event with Confluent’s deserializer, and the latest of each object is the truth', async () => {
    const app = await buildApp(testConfig(sim.url), silentLogger());
    try {
      for (const stream of app.engine.polledStreams()) await app.engine.poll(stream);
      for (let round = 0; round < 3; round++) {
        sim.clock.advance(60_000);
        sim.mutate.random(20);
        for (const stream of app.engine.polledStreams()) await app.engine.poll(stream);
      }
      for (const stream of [
        'contacts',
        'conversations',
        'tickets',
        'articles',
        'help_center_collections',
      ] as const) {
        await app.engine.reconcile(stream);
      }
    } finally {
      await app.close();
    }

    const python = execFileSync('bash', [path.join(ROOT, 'test/independent/setup.sh')], {
      encoding: 'utf8',
    }).trim();
    const { brokers, registryUrl } = stackEnv();
    const topics = STREAMS.map((s) => app.topics.events(s));
    const run = spawnSync(
      python,
      [
        path.join(ROOT, 'test/independent/consume.py'),
        '--brokers',
        brokers.join(','),
        '--registry',
        registryUrl,
        ...topics,
      ],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 150_000,
      },
    );
    expect({ status: run.status, stderr: run.stderr.slice(-2000) }).toEqual({ status: 0, stderr: '' });
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);

    const latest = new Map<string, Line>();
    for (const line of lines) latest.set(`${line.topic}/${line.id}`, line); // offsets ascend per partition
    let compared = 0;
    for (const stream of STREAMS.filter((s) => s !== 'conversation_parts')) {
      const topic = app.topics.events(stream);
      for (const id of sim.truth.ids(stream as SimStream)) {
        const line = latest.get(`${topic}/${id}`);
        const truth = sim.truth.get(stream as SimStream, id)!;
        expect({ stream, id, tombstone: line?.tombstone ?? false, after: String(line?.after_id) }).toEqual({
          stream,
          id,
          tombstone: false,
          after: String(truth.id),
        });
        if (UNTIMED.has(stream)) expect(JSON.parse(line!.raw!)).toEqual(truth);
        else
          expect({ stream, id, updated_at: line!.updated_at }).toEqual({
            stream,
            id,
            updated_at: Number(truth.updated_at) * 1000,
          });
        compared++;
      }
    }
    const deleted = sim.truth.log().filter((r) => r.op === 'd' && r.stream !== 'conversation_parts');
    for (const r of deleted) {
      const line = latest.get(`${app.topics.events(r.stream as (typeof STREAMS)[number])}/${r.id}`);
      if (line)
        expect({ id: r.id, tombstone: line.tombstone ?? false }).toEqual({ id: r.id, tombstone: true });
    }
    console.log(
      `independent consumer: ${lines.length} records decoded, ${compared} live objects compared, ${deleted.length} deletes`,
    );
    expect(compared).toBeGreaterThan(50);
  });
});
