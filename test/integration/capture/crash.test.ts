import { canonicalJson } from '../../../src/normalize';
import type { RunningSimulator, SimStream } from '../../../src/sim';
import { connectorEnv, startCli, waitMs, type Running } from '../../stack/cli';
import { freePort, waitReady } from '../../stack/env';
import { byId, readTopics, testConfig, type DecodedEvent } from './harness';
import { KAFKA_CLIENTS } from '../../helpers/clients';
import { useSimulator } from '../../helpers/simulator';

/** Kills per run; the slow tier sets CRASH_TRIALS=20. */
const TRIALS = Number(process.env.CRASH_TRIALS ?? 3);
const STREAMS: SimStream[] = ['contacts', 'conversations', 'conversation_parts', 'admins'];

function startConnector(env: Record<string, string>): Running {
  return startCli(['run'], env);
}

/** Ids of live objects whose latest event is not the simulator's current version. */
function behind(sim: RunningSimulator, events: DecodedEvent[], prefix: string): string[] {
  const latest = new Map<string, string | null>();
  for (const e of events) latest.set(`${e.topic}/${e.id}`, e.value?.raw ?? null);
  const out: string[] = [];
  for (const stream of ['contacts', 'admins'] as const) {
    for (const id of sim.truth.ids(stream)) {
      const raw = latest.get(`${prefix}.${stream}/${id}`);
      if (!raw || canonicalJson(JSON.parse(raw)) !== canonicalJson(sim.truth.get(stream, id)))
        out.push(`${stream}/${id}`);
    }
  }
  return out;
}

describe.each(KAFKA_CLIENTS)('exactly once across crashes (KAFKA_CLIENT=%s)', (client) => {
  // Answers take time, as Intercom's do: walks, fetches and commits overlap when the kills land.
  const sim = useSimulator(() => ({
    seed: 11,
    size: { contacts: 1500, conversations: 60, admins: 4 },
    latency: { ms: 15, p99Ms: 80 },
  }));

  it(`survives ${TRIALS} SIGKILLs at random instants: nothing missing, nothing twice`, async () => {
    const config = testConfig(sim.url, { KAFKA_CLIENT: client });
    const prefix = config.kafka.topicPrefix;
    // Merges while a listing pages make it skip objects; the scheduled reconciliation (every 3 s here)
    // repairs that.
    const env = connectorEnv(config, { STREAMS: STREAMS.join(','), LOG_LEVEL: 'error' });
    const kills: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const run = startConnector(env);
      const at = 1500 + Math.random() * 5500;
      const mutator = setInterval(() => {
        sim.clock.advance(1000);
        sim.mutate.random(15, { streams: STREAMS });
      }, 250);
      await waitMs(at);
      clearInterval(mutator);
      run.child.kill('SIGKILL');
      // killed by the signal, not exited on its own
      expect({ trial, code: await run.exited, stderr: run.stderr().slice(-500) }).toEqual({
        trial,
        code: null,
        stderr: '',
      });
      kills.push(Math.round(at));
    }

    // The last run must converge on the simulator's truth.
    const port = await freePort();
    const last = startConnector({ ...env, HTTP_PORT: String(port) });
    expect(await waitReady(port)).toBe(true); // SIGTERM before the handlers exist would end it by the signal
    const topics = ['contacts', 'conversations', 'conversation_parts', 'admins'].map((s) => `${prefix}.${s}`);
    const deadline = Date.now() + 120_000;
    let missing = ['not read yet'];
    while (missing.length > 0 && Date.now() < deadline) {
      missing = behind(sim, await readTopics(topics), prefix);
      if (missing.length > 0) await waitMs(500);
    }
    if (missing.length) {
      const events = await readTopics(topics);
      for (const key of missing) {
        const [stream, id] = key.split('/') as ['contacts', string];
        const mine = events
          .filter((e) => e.id === id)
          .map((e) => [e.offset, e.value?.op, e.value?.source.updated_at]);
        console.log(
          'DIAG',
          key,
          'truth',
          sim.truth.get(stream, id)?.updated_at,
          'log',
          JSON.stringify(sim.truth.log().filter((r) => r.id === id)),
          'mine',
          JSON.stringify(mine),
        );
      }
    }
    last.child.kill('SIGTERM');
    expect(await last.exited).toBe(0);
    expect(missing).toEqual([]);

    // A version is the object's content: two same-second changes are two versions, one object read twice
    // is not. Admins have no timestamps and may change back (A, B, A: three changes), so a duplicate is
    // the same content published twice in a row; timestamps must never go back.
    const events = await readTopics(topics);
    const duplicates: string[] = [];
    for (const [id, list] of byId(events)) {
      const versions = list.filter((e) => e.value && e.value.op !== 'd').map((e) => e.value!);
      const repeated = versions.some((v, i) => i > 0 && v.raw === versions[i - 1].raw);
      const backwards = versions.some(
        (v, i) => i > 0 && (v.source.updated_at ?? 0) < (versions[i - 1].source.updated_at ?? 0),
      );
      if (repeated || backwards) duplicates.push(`${list[0].topic}/${id}`);
    }
    console.log(
      `crash (${client}): killed at ${kills.join(', ')} ms; ${events.length} events checked, ${duplicates.length} duplicated objects`,
    );
    expect(duplicates).toEqual([]);
  });
});
