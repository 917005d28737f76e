import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBroker, stopBroker, type BrokerHandle } from '../../../src/devstack/local';
import type { SimStream } from '../../../src/sim';
import { freePort } from '../../stack/env';
import { testConfig } from '../capture/harness';
import {
  TRIALS,
  connectorEnv,
  converge,
  duplicates,
  mutating,
  readTopicsFrom,
  startConnector,
  waitFor,
  waitMs,
  type Running,
} from './helpers';
import { KAFKA_CLIENTS } from '../../helpers/clients';
import { useSimulator } from '../../helpers/simulator';

const STREAMS: SimStream[] = ['contacts', 'admins'];

async function status(port: number, p: string): Promise<number> {
  return fetch(`http://127.0.0.1:${port}${p}`).then(
    (r) => r.status,
    () => 0,
  );
}

/**
 * The broker killed (SIGKILL, or SIGTERM on odd trials) mid-sync and restarted a few seconds later on
 * the same ports and data: a broker of its own for this test. The connector rides it out without
 * exiting (a supervisor would restart it, as Kubernetes does, and records any exit); the topics end
 * equal to the truth with nothing twice for read_committed consumers.
 */
describe.each(KAFKA_CLIENTS)('broker restarted mid-sync (KAFKA_CLIENT=%s)', (client) => {
  const sim = useSimulator(() => ({ seed: 43, size: { contacts: 3000, admins: 4 } }));
  let broker: BrokerHandle;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cdc-broker-'));
    broker = await startBroker({ runDir: dir });
  });
  afterAll(async () => {
    if (broker) await stopBroker(broker.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it(`survives ${TRIALS} broker restart(s) mid-sync: nothing lost, nothing twice`, async () => {
    const config = testConfig(sim.url, { STREAMS: STREAMS.join(','), KAFKA_CLIENT: client });
    const prefix = config.kafka.topicPrefix;
    const port = await freePort();
    const env = connectorEnv(config, { KAFKA_BROKERS: broker.brokers.join(','), HTTP_PORT: String(port) });
    // The supervisor: restarts the connector whenever it exits, recording how it ended.
    const exits: { code: number | null; stderr: string }[] = [];
    let run: Running = startConnector(env);
    let supervising = true;
    const supervisor = (async () => {
      while (supervising) {
        const code = await run.exited;
        if (!supervising) break;
        exits.push({ code, stderr: run.stderr().slice(-300) });
        await waitMs(1000); // Kubernetes' restart backoff, shortened
        run = startConnector(env);
      }
    })();
    // A slow sync (the rate limit), so that the broker goes down in the middle of it.
    sim.setRateLimit({ limit: 15, windowMs: 1000 });
    const changes = mutating(sim, STREAMS, 10, 250);
    const outages: string[] = [];
    try {
      for (let trial = 0; trial < TRIALS; trial++) {
        expect(await waitFor(async () => (await status(port, '/readyz')) === 200, 90_000, 100)).toBe(true);
        await waitMs(500 + Math.random() * 1500);
        const sig = trial % 2 === 0 ? 'SIGKILL' : 'SIGTERM';
        await stopBroker(broker.pid, sig);
        const down = Date.now();
        await waitMs(3000);
        broker = await startBroker({ runDir: dir, port: broker.port, controllerPort: broker.controllerPort });
        outages.push(`${sig} ${Date.now() - down} ms`);
      }
      sim.setRateLimit(null);
      changes.stop();
      const read = (topics: string[]) => readTopicsFrom(broker.brokers, topics);
      const missing = await converge(sim, prefix, STREAMS, 150_000, read);
      supervising = false;
      run.child.kill('SIGTERM');
      const last = await run.exited;
      await supervisor;
      const events = await read(STREAMS.map((s) => `${prefix}.${s}`));
      const codes = exits.map((e) => e.code);
      console.log(
        `broker restart (${client}): outages ${outages.join(', ')}; connector exits ${JSON.stringify(codes)}, last ${last}; ` +
          `${events.length} events, ${missing.length} missing; ${exits
            .map((e) => e.stderr)
            .join(' | ')
            .slice(0, 600)}`,
      );
      expect(missing).toEqual([]);
      expect(duplicates(events)).toEqual([]);
      // It rides the outage out: no exit at all (it starts over inside the process once Kafka is back).
      expect(codes).toEqual([]);
      expect(last).toBe(0);
    } finally {
      changes.stop();
      supervising = false;
      if (run.code() === undefined) run.child.kill('SIGKILL');
      await run.exited;
    }
  });
});
