import { canonicalJson } from '../../../src/normalize';
import { readToEnd } from '../../../src/kafka/read-to-end';
import { Kafka, logLevel } from 'kafkajs';
import type { RunningSimulator, SimStream } from '../../../src/sim';
import { connectorEnv, startCli, waitFor, waitMs, type Running } from '../../stack/cli';
import { testKafka, testRegistry } from '../../stack/env';
import { byId, readTopics, type DecodedEvent } from '../capture/harness';

/** Fault rounds per case: small by default (CI), more in the slow tier (`FAULT_TRIALS=5`). */
export const TRIALS = Math.max(1, Number(process.env.FAULT_TRIALS ?? 1));

/** The connector as users run it: `intercom-cdc run` in a child process. */
export function startConnector(env: Record<string, string>): Running {
  return startCli(['run'], env);
}

export { connectorEnv, waitFor, waitMs, type Running };

/**
 * What the topics lack against the simulator's truth, for streams compared by content (contacts,
 * admins, companies, …: the raw JSON of an object's latest event is the object as the API shows it
 * now): ids whose latest event is missing or stale, and deleted ids whose latest record is not a
 * tombstone.
 */
export function behind(
  sim: RunningSimulator,
  events: DecodedEvent[],
  prefix: string,
  streams: readonly SimStream[],
): string[] {
  const latest = new Map<string, DecodedEvent>();
  for (const e of events) latest.set(`${e.topic}/${e.id}`, e);
  const out: string[] = [];
  for (const stream of streams) {
    const live = new Set(sim.truth.ids(stream));
    for (const id of live) {
      const raw = latest.get(`${prefix}.${stream}/${id}`)?.value?.raw;
      if (!raw || canonicalJson(JSON.parse(raw)) !== canonicalJson(sim.truth.get(stream, id)))
        out.push(`${stream}/${id}`);
    }
    for (const [key, e] of latest) {
      if (e.topic === `${prefix}.${stream}` && !live.has(e.id) && e.value !== null)
        out.push(`${key} (deleted, no tombstone)`);
    }
  }
  return out;
}

/** Like the capture harness's readTopics, from other brokers than the stack's (a test's own broker). */
export async function readTopicsFrom(brokers: string[], topics: string[]): Promise<DecodedEvent[]> {
  const registry = testRegistry();
  const kafka = new Kafka({ clientId: 'faults-reader', brokers, logLevel: logLevel.NOTHING });
  const out: DecodedEvent[] = [];
  await readToEnd(kafka, topics, 'faults-reader', async (topic, messages) => {
    for (const m of messages) {
      const key = (await registry.decode(m.key!)) as { id: string };
      const value = m.value ? ((await registry.decode(m.value)) as DecodedEvent['value']) : null;
      out.push({ topic, offset: m.offset, id: key.id, value });
    }
  });
  return out;
}

/** Polls the topics until they hold the truth, or the time is up; returns what is still missing. */
export async function converge(
  sim: RunningSimulator,
  prefix: string,
  streams: readonly SimStream[],
  ms = 120_000,
  read: (topics: string[]) => Promise<DecodedEvent[]> = readTopics,
): Promise<string[]> {
  const topics = streams.map((s) => `${prefix}.${s}`);
  let missing = ['not read yet'];
  await waitFor(
    async () => {
      missing = behind(sim, await read(topics).catch(() => []), prefix, streams);
      return missing.length === 0;
    },
    ms,
    500,
  );
  return missing;
}

/**
 * Objects published twice: the same content twice in a row for one id (a version is the object's
 * content; an object re-read is not a new version), or an `updated_at` going back.
 */
export function duplicates(events: DecodedEvent[]): string[] {
  const out: string[] = [];
  for (const [id, list] of byId(events)) {
    const versions = list.filter((e) => e.value && e.value.op !== 'd').map((e) => e.value!);
    const repeated = versions.some((v, i) => i > 0 && v.raw === versions[i - 1].raw);
    // Versions without updated_at (none, or one too far in the future to trust) order nothing.
    const timed = versions.filter((v) => v.source.updated_at !== null);
    const backwards = timed.some((v, i) => i > 0 && v.source.updated_at! < timed[i - 1].source.updated_at!);
    if (repeated || backwards) out.push(`${list[0].topic}/${id}`);
  }
  return out;
}

export interface DeadLetter {
  /** The object's id; null for an item without one. */
  key: string | null;
  stream: string;
  id: string;
  code: string;
  error: string;
  raw: unknown;
  raw_truncated?: boolean;
  raw_bytes?: number;
  bytes: number;
}

/** Every committed record of the dead-letter topic, parsed. */
export async function deadLetters(topic: string): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  await readToEnd(testKafka('dlq-reader'), [topic], 'dlq-reader', (_t, messages) => {
    for (const m of messages)
      out.push({
        key: m.key === null ? null : m.key.toString(),
        bytes: m.value!.length,
        ...(JSON.parse(m.value!.toString()) as Omit<DeadLetter, 'key' | 'bytes'>),
      });
  });
  return out;
}

/** Runs random mutations every `everyMs` (the sim clock a second further each time) until stopped. */
export function mutating(
  sim: RunningSimulator,
  streams: SimStream[],
  perTick = 10,
  everyMs = 250,
): { stop(): void } {
  const timer = setInterval(() => {
    sim.clock.advance(1000);
    sim.mutate.random(perTick, { streams });
  }, everyMs);
  return { stop: () => clearInterval(timer) };
}
