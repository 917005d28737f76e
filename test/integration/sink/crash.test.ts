import type { RunningSimulator } from '../../../src/sim';
import { connectorEnv, startCli, waitMs, type Running } from '../../stack/cli';
import { freePort, testKafka, waitReady } from '../../stack/env';
import { createInputTopic, produceJson, sinkConfig, writes } from './harness';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 22, size: { contacts: 5 } }));

/** Kills per run; the slow tier sets CRASH_TRIALS=20. */
const TRIALS = Number(process.env.CRASH_TRIALS ?? 3);
/** Enough records that every kill lands while writes are still going on (each kill waits for 10–50 writes). */
const CONTACTS = Math.max(150, 40 * TRIALS);

function startSink(env: Record<string, string>): Running {
  return startCli(['sink', 'contacts'], env);
}

const total = (sim: RunningSimulator) => Object.values(writes(sim)).reduce((a, b) => a + b, 0);

describe('contact sink across crashes', () => {
  it(
    `survives ${TRIALS} SIGKILLs mid-batch: every upsert applied, no change written twice`,
    async () => {
      const config = sinkConfig(sim.url);
      const topic = config.sink.contacts.topic;
      const kafka = testKafka('sink-crash');
      await createInputTopic(kafka, topic, 3);
      // Each contact: created, then changed. Intercom must see exactly those two changes per contact.
      const records = [
        ...Array.from({ length: CONTACTS }, (_, i) => ({ external_id: `k-${i}`, name: `first ${i}` })),
        ...Array.from({ length: CONTACTS }, (_, i) => ({
          external_id: `k-${i}`,
          name: `second ${i}`,
          phone: `+1${i}`,
        })),
      ];
      await produceJson(kafka, topic, records);
      const env = connectorEnv(config, {
        // The next run takes the partitions over once the killed member's session expired.
        SINK_CONTACTS_SESSION_TIMEOUT_MS: '6000',
        LOG_LEVEL: 'error',
      });
      // Slow enough that a kill lands between the writes of a batch.
      sim.setRateLimit({ limit: 60, windowMs: 1000 });
      const kills: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const run = startSink(env);
        const target = total(sim) + 10 + Math.floor(Math.random() * 40);
        const deadline = Date.now() + 60_000;
        while (total(sim) < target && Date.now() < deadline) await waitMs(10);
        run.child.kill('SIGKILL');
        expect({ trial, killedMidway: total(sim) >= target }).toEqual({ trial, killedMidway: true });
        expect({ trial, code: await run.exited, stderr: run.stderr().slice(-500) }).toEqual({
          trial,
          code: null,
          stderr: '',
        });
        kills.push(total(sim));
      }
      sim.setRateLimit(null);

      const port = await freePort();
      const last = startSink({ ...env, HTTP_PORT: String(port) });
      expect(await waitReady(port)).toBe(true);
      const done = () =>
        Array.from({ length: CONTACTS }, (_, i) => i).every((i) =>
          sim.truth
            .ids('contacts')
            .some(
              (id) =>
                sim.truth.get('contacts', id)!.external_id === `k-${i}` &&
                sim.truth.get('contacts', id)!.name === `second ${i}`,
            ),
        );
      const deadline = Date.now() + 120_000;
      while (!done() && Date.now() < deadline) await waitMs(200);
      await waitMs(500); // anything still in flight would show now
      last.child.kill('SIGTERM');
      expect({ code: await last.exited, stderr: last.stderr().slice(-1000) }).toEqual({
        code: 0,
        stderr: '',
      });

      const byExternal = new Map<string, Record<string, unknown>[]>();
      for (const id of sim.truth.ids('contacts')) {
        const c = sim.truth.get('contacts', id)!;
        if (typeof c.external_id === 'string' && c.external_id.startsWith('k-'))
          byExternal.set(c.external_id, [...(byExternal.get(c.external_id) ?? []), c]);
      }
      const wrong: string[] = [];
      const changesPerContact = new Map<string, number>();
      for (const r of sim.truth.log())
        if (r.stream === 'contacts') changesPerContact.set(r.id, (changesPerContact.get(r.id) ?? 0) + 1);
      for (let i = 0; i < CONTACTS; i++) {
        const found = byExternal.get(`k-${i}`) ?? [];
        if (found.length !== 1) wrong.push(`k-${i}: ${found.length} contacts`);
        else if (found[0]!.name !== `second ${i}` || found[0]!.phone !== `+1${i}`)
          wrong.push(`k-${i}: ${found[0]!.name}`);
        else if (changesPerContact.get(found[0]!.id as string) !== 2)
          wrong.push(
            `k-${i}: ${changesPerContact.get(found[0]!.id as string)} changes in Intercom, expected 2`,
          );
      }
      console.log(
        `sink crash: killed after ${kills.join(', ')} write requests; ${total(sim)} write requests for ${records.length} records`,
      );
      expect(wrong).toEqual([]);
    },
    120_000 + TRIALS * 20_000,
  );
});
