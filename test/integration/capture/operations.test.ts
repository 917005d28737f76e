/**
 * What an operator reads besides the change events (README, "Operations"), through the real stack and
 * the simulator: heartbeats at their interval while nothing changes, never naming a watermark that was
 * not committed (across SIGKILLs); notifications of a first sync's start, progress and end; and the
 * completeness measure, which finds the gaps the simulator makes on purpose and none on a complete
 * workspace, on the notifications topic and from `check --completeness`.
 */
import { KAFKA_CLIENTS } from '../../helpers/clients';
import { readToEnd } from '../../../src/kafka/read-to-end';
import type { SimStream } from '../../../src/sim';
import { connectorEnv, startCli, waitFor, waitMs, type Running } from '../../stack/cli';
import { freePort, testKafka, testRegistry, waitReady } from '../../stack/env';
import { simulatorsPerTest } from '../../helpers/simulator';
import { testConfig } from './harness';

interface HeartbeatValue {
  connector: string;
  workspace_id: string;
  version: string;
  ts_ms: number;
  streams: { stream: string; watermark: number | null; snapshot_done: boolean }[];
}

interface NotificationValue {
  id: string;
  aggregate_type: string;
  type: string;
  additional_data: Record<string, string>;
  timestamp: number;
}

/** Every committed record of an Avro topic of the connector, decoded through the registry, in order. */
async function decoded<T>(topic: string): Promise<T[]> {
  const registry = testRegistry();
  const out: T[] = [];
  await readToEnd(testKafka('operations'), [topic], 'operations', async (_topic, messages) => {
    for (const m of messages) if (m.value) out.push((await registry.decode(m.value)) as T);
  });
  return out;
}

/** The committed watermarks of each stream, from the state topic's progress records (`<connector>/<stream>`). */
async function committedWatermarks(stateTopic: string, connector: string): Promise<Map<string, Set<number>>> {
  const out = new Map<string, Set<number>>();
  await readToEnd(testKafka('operations'), [stateTopic], 'operations', (_topic, messages) => {
    for (const m of messages) {
      const key = m.key?.toString() ?? '';
      const parts = key.split('/');
      if (parts.length !== 2 || parts[0] !== connector || !m.value) continue;
      const record = JSON.parse(m.value.toString()) as { watermark?: number | null };
      if (typeof record.watermark !== 'number') continue;
      const set = out.get(parts[1]!) ?? new Set<number>();
      set.add(record.watermark);
      out.set(parts[1]!, set);
    }
  });
  return out;
}

const STREAMS: SimStream[] = ['contacts', 'conversations', 'conversation_parts', 'admins'];

describe('heartbeats, notifications and completeness', () => {
  const simulator = simulatorsPerTest();

  it.each(KAFKA_CLIENTS)(
    'heartbeats name only committed watermarks across SIGKILLs, and arrive at their interval while nothing changes (KAFKA_CLIENT=%s)',
    async (client) => {
      const sim = await simulator({
        seed: 25,
        size: { contacts: 900, conversations: 40, admins: 3 },
        latency: { ms: 15, p99Ms: 80 },
      });
      const config = testConfig(sim.url);
      const prefix = config.kafka.topicPrefix;
      const env = connectorEnv(config, {
        STREAMS: STREAMS.join(','),
        LOG_LEVEL: 'error',
        HEARTBEAT_INTERVAL_MS: '300',
        KAFKA_CLIENT: client,
      });
      for (let trial = 0; trial < 2; trial++) {
        const run = startCli(['run'], env);
        const mutator = setInterval(() => {
          sim.clock.advance(1000);
          sim.mutate.random(10, { streams: STREAMS });
        }, 250);
        await waitMs(1500 + Math.random() * 3000);
        clearInterval(mutator);
        run.child.kill('SIGKILL');
        expect(await run.exited).toBeNull();
      }

      // The last run catches up, then nothing changes for a while.
      const port = await freePort();
      const last: Running = startCli(['run'], { ...env, HTTP_PORT: String(port) });
      expect(await waitReady(port)).toBe(true);
      const caughtUp = await waitFor(async () => {
        const beats = await decoded<HeartbeatValue>(`${prefix}._heartbeat`);
        const latest = beats.at(-1);
        return latest !== undefined && latest.streams.every((s) => s.snapshot_done);
      }, 60_000);
      expect(caughtUp).toBe(true);
      const quietFrom = Date.now();
      await waitMs(3_000);
      const quietTo = Date.now();
      last.child.kill('SIGTERM');
      expect(await last.exited).toBe(0);

      const beats = await decoded<HeartbeatValue>(`${prefix}._heartbeat`);
      const committed = await committedWatermarks(`${prefix}._state`, config.connector.name);
      expect(beats[0]).toMatchObject({ connector: config.connector.name, version: expect.any(String) });
      expect(new Set(beats.map((b) => b.workspace_id)).size).toBe(1);
      expect(beats[0]!.workspace_id).not.toBe('');
      const uncommitted: string[] = [];
      for (const b of beats)
        for (const s of b.streams)
          if (s.watermark !== null && !committed.get(s.stream)?.has(s.watermark))
            uncommitted.push(`${s.stream}@${s.watermark} (heartbeat at ${b.ts_ms})`);
      expect(uncommitted).toEqual([]);
      expect(beats.some((b) => b.streams.some((s) => s.watermark !== null))).toBe(true);

      // While nothing changed: a heartbeat every 300 ms (timers and the transaction's own time aside).
      const quiet = beats.map((b) => b.ts_ms).filter((t) => t >= quietFrom && t <= quietTo);
      expect(quiet.length).toBeGreaterThanOrEqual(6);
      const gaps = quiet.slice(1).map((t, i) => t - quiet[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(290);
      expect(Math.max(...gaps)).toBeLessThan(1500);
    },
  );

  it('tells a first sync from start to end, and finds nothing missing on a complete workspace', async () => {
    const sim = await simulator({ seed: 26, size: { contacts: 3000, conversations: 30, admins: 3 } });
    const config = testConfig(sim.url);
    const prefix = config.kafka.topicPrefix;
    const env = connectorEnv(config, {
      STREAMS: STREAMS.join(','),
      NOTIFICATIONS_PROGRESS_INTERVAL_MS: '0',
      RECONCILE_INTERVAL_MS: '600000',
    });
    const run = startCli(['run'], env);
    const measured = (n: NotificationValue[]) =>
      ['contacts', 'conversations', 'admins'].every((s) =>
        n.some((x) => x.aggregate_type === 'Completeness' && x.additional_data.stream === s),
      );
    let notes: NotificationValue[] = [];
    const done = await waitFor(async () => {
      notes = await decoded<NotificationValue>(`${prefix}._notifications`);
      return measured(notes);
    }, 90_000);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(done).toBe(true);

    const contacts = notes
      .filter(
        (n) => n.aggregate_type === 'Initial Snapshot' && n.additional_data.data_collections === 'contacts',
      )
      .map((n) => n.type);
    expect(contacts[0]).toBe('STARTED');
    expect(contacts.at(-1)).toBe('COMPLETED');
    expect(contacts.filter((t) => t === 'IN_PROGRESS').length).toBeGreaterThan(0);
    const completed = notes.find(
      (n) => n.type === 'COMPLETED' && n.additional_data.data_collections === 'contacts',
    )!;
    expect(completed.additional_data).toMatchObject({ connector_name: config.connector.name, read: '3000' });
    expect(new Set(notes.map((n) => n.id)).size).toBe(notes.length);

    // Measured after each first sync and each reconciliation (one is due right after a first sync).
    const completeness = notes.filter((n) => n.aggregate_type === 'Completeness');
    expect(
      [
        ...new Set(completeness.map((n) => `${n.additional_data.stream}:${n.type}:${n.additional_data.gap}`)),
      ].sort(),
    ).toEqual(['admins:COMPLETE:unknown', 'contacts:COMPLETE:0', 'conversations:COMPLETE:0']);

    const check = startCli(['check', '--completeness', '--json'], env);
    expect(await check.exited).toBe(0);
    const rows = check
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"completeness: '))
      .map((l) => JSON.parse(l) as { check: string; status: string; detail: string });
    expect(rows.map((r) => `${r.check}:${r.status}`)).toEqual([
      'completeness: state:ok',
      'completeness: contacts:ok',
      'completeness: conversations:ok',
      'completeness: admins:ok',
    ]);
    expect(rows[1]!.detail).toBe('Intercom reports 3000, the state holds 3000');
  });

  it('finds the gaps the simulator makes on purpose and names them', async () => {
    const sim = await simulator({ seed: 27, size: { contacts: 400, conversations: 20, admins: 2 } });
    const hidden = sim.truth.ids('contacts')[5]!;
    sim.mutate.hideFromSearch('contacts', hidden);
    const long = sim.truth.ids('conversations')[3]!;
    const stats = sim.truth.get('conversations', long)!.statistics as { count_conversation_parts: number };
    sim.mutate.addParts(long, 600 - stats.count_conversation_parts);
    expect(
      (sim.truth.get('conversations', long)!.statistics as { count_conversation_parts: number })
        .count_conversation_parts,
    ).toBe(600);

    const config = testConfig(sim.url);
    const prefix = config.kafka.topicPrefix;
    const env = connectorEnv(config, { STREAMS: STREAMS.join(','), RECONCILE_INTERVAL_MS: '600000' });
    const run = startCli(['run'], env);
    let notes: NotificationValue[] = [];
    const done = await waitFor(async () => {
      notes = (await decoded<NotificationValue>(`${prefix}._notifications`)).filter(
        (n) => n.aggregate_type === 'Completeness',
      );
      return ['contacts', 'conversations'].every((s) => notes.some((n) => n.additional_data.stream === s));
    }, 90_000);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(done).toBe(true);

    const contacts = notes.find((n) => n.additional_data.stream === 'contacts')!;
    expect(contacts.type).toBe('GAP');
    expect(contacts.additional_data).toMatchObject({ reported: '400', held: '399', gap: '1' });
    const conversations = notes.find((n) => n.additional_data.stream === 'conversations')!;
    expect(conversations.type).toBe('GAP');
    expect(conversations.additional_data).toMatchObject({
      gap: '0',
      parents_with_missing_parts: '1',
      parts_missing: '100',
      parents: `${long}:600/500`,
    });
    // The conversation over the cap says so on its event; no other one does.
    const events = (
      await decoded<{ after: { id: string; parts_not_returned: number | null } | null }>(
        `${prefix}.conversations`,
      )
    ).filter((e) => e.after);
    const flagged = events.filter((e) => e.after!.parts_not_returned !== null);
    expect(flagged.length).toBeGreaterThan(0);
    expect(new Set(flagged.map((e) => `${e.after!.id}:${e.after!.parts_not_returned}`))).toEqual(
      new Set([`${long}:100`]),
    );
    expect(events.some((e) => e.after!.id === long && e.after!.parts_not_returned === null)).toBe(false);

    const check = startCli(['check', '--completeness', '--json'], env);
    expect(await check.exited).toBe(0);
    const rows = new Map(
      check
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"completeness: '))
        .map((l) => JSON.parse(l) as { check: string; status: string; detail: string })
        .map((r) => [r.check, r]),
    );
    expect(rows.get('completeness: contacts')).toMatchObject({
      status: 'warn',
      detail: 'Intercom reports 400, the state holds 399: 1 missing',
    });
    expect(rows.get('completeness: conversations')).toMatchObject({
      status: 'warn',
      detail: `Intercom reports 20, the state holds 20; 1 with parts missing (100 parts): ${long} (600 parts, 500 read)`,
    });
  });
});
