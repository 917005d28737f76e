import { buildApp } from '../../../src/app';
import { silentLogger } from '../../../src/logger';
import type { FaultSpec, RunningSimulator, SimStream } from '../../../src/sim';
import { readTopics, testConfig } from '../capture/harness';
import { converge, deadLetters, duplicates, mutating, waitFor, waitMs } from './helpers';

export const STREAMS: SimStream[] = ['contacts', 'admins'];

export interface FaultRun {
  /** Requests the connector saw answered, by status ('error' = no answer). */
  statuses: Record<string, number>;
  retries: number;
  missing: string[];
  duplicates: string[];
  deadLetters: number;
  events: number;
  /** 'running' while the engine runs; how it ended otherwise. */
  outcome: string;
}

/**
 * The connector in this process (the engine's own loop, as `run` drives it) against a simulator that
 * changes all the time, while `inject(round)` adds faults for `rounds` rounds of `roundMs`; then the
 * faults stop and the topics must converge on the truth: nothing lost, nothing twice, no dead letter,
 * and the engine still running.
 */
export async function runUnderFaults(
  sim: RunningSimulator,
  opts: {
    rounds: number;
    roundMs: number;
    inject: (round: number) => FaultSpec[];
    /** Before the next round: waits (up to 30 s) until this says the round's faults were served. */
    served?: (round: number) => boolean;
    env?: Record<string, string>;
  },
): Promise<FaultRun> {
  const config = testConfig(sim.url, {
    STREAMS: STREAMS.join(','),
    POLL_INTERVAL_MS: '200',
    RECONCILE_INTERVAL_MS: '3000',
    ...opts.env,
  });
  const statuses: Record<string, number> = {};
  let retries = 0;
  const app = await buildApp(config, silentLogger(), {
    clientObserver: {
      request: (e) => void (statuses[e.status] = (statuses[e.status] ?? 0) + 1),
      retry: () => void retries++,
    },
  });
  // The first round's faults are waiting when the engine starts: they hit the snapshot.
  for (const fault of opts.inject(0)) sim.faults.add(fault);
  const stop = new AbortController();
  let outcome = 'running';
  const run = app.engine.run(stop.signal).then(
    () => void (outcome = 'stopped'),
    (error: unknown) => void (outcome = `failed: ${String(error)}`),
  );
  const changes = mutating(sim, STREAMS, 8, 300);
  try {
    for (let round = 0; round < opts.rounds && outcome === 'running'; round++) {
      if (round > 0) for (const fault of opts.inject(round)) sim.faults.add(fault);
      await waitMs(opts.roundMs);
      if (opts.served) await waitFor(() => opts.served!(round), 30_000);
    }
    changes.stop();
    sim.faults.clear();
    const prefix = config.kafka.topicPrefix;
    const missing = await converge(sim, prefix, STREAMS);
    const events = await readTopics(STREAMS.map((s) => `${prefix}.${s}`));
    const result = {
      statuses,
      retries,
      missing,
      duplicates: duplicates(events),
      deadLetters: (await deadLetters(app.topics.dlq)).length,
      events: events.length,
      outcome,
    };
    return result;
  } finally {
    changes.stop();
    stop.abort();
    await run;
    await app.close();
  }
}
