import { createClock } from '../../../src/sim/clock';
import { MutationEngine } from '../../../src/sim/mutations';
import { contactTagRows } from '../../../src/sim/render/contacts';
import { TABLE_STREAMS } from '../../../src/sim/types';
import { DEFAULT_SIZE, Workspace } from '../../../src/sim/workspace';

const START = Date.UTC(2026, 0, 5);

function build(
  seed: number,
  contacts = 300,
): { ws: Workspace; engine: MutationEngine; clock: ReturnType<typeof createClock> } {
  const ws = new Workspace({
    seed,
    size: { ...DEFAULT_SIZE, contacts },
    timezone: 'UTC',
    startMs: START,
    maxParts: 500,
  });
  const clock = createClock({ mode: 'manual', startMs: START });
  return { ws, engine: new MutationEngine(ws, clock), clock };
}

function snapshot(engine: MutationEngine): Record<string, unknown[]> {
  return Object.fromEntries(TABLE_STREAMS.map((s) => [s, engine.ids(s).map((id) => engine.get(s, id))]));
}

describe('generated workspaces', () => {
  it('the same seed gives the same workspace and, after the same calls, the same log and objects', () => {
    const a = build(7);
    const b = build(7);
    expect(snapshot(a.engine)).toEqual(snapshot(b.engine));
    for (const sim of [a, b]) {
      sim.engine.run({ durationMs: 60_000, stepMs: 1000, perStep: 5 });
      sim.engine.random(50); // a same-second burst
    }
    expect(a.engine.log()).toEqual(b.engine.log());
    expect(a.engine.log().length).toBeGreaterThanOrEqual(60 * 5 + 50);
    expect(a.engine.log().map((c) => c.seq)).toEqual(a.engine.log().map((_, i) => i + 1));
    expect(new Set(a.engine.log().map((c) => c.atMs)).size).toBe(60); // 50 changes share the last second
    expect(snapshot(a.engine)).toEqual(snapshot(b.engine));
  });

  it('another seed gives another workspace', () => {
    expect(snapshot(build(1).engine).contacts).not.toEqual(snapshot(build(2).engine).contacts);
  });

  it('ids are unique, look like Intercom ids, and decode back to their objects', () => {
    const { ws, engine } = build(3);
    const contacts = engine.ids('contacts');
    expect(new Set(contacts).size).toBe(300);
    expect(contacts.every((id) => /^[0-9a-f]{24}$/.test(id))).toBe(true);
    expect(engine.ids('conversations').every((id) => /^\d+$/.test(id))).toBe(true);
    expect(ws.liveRow('contacts', contacts[42] as string)).toBe(42);
    expect(ws.liveRow('contacts', `${(contacts[42] as string).slice(0, 23)}f`)).toBeUndefined();
    expect(engine.get('companies', contacts[0] as string)).toBeUndefined();
  });

  it('timestamps are Unix seconds, never after the start, and created_at <= updated_at', () => {
    const { engine } = build(4);
    for (const stream of ['contacts', 'conversations', 'tickets', 'companies', 'articles'] as const) {
      for (const id of engine.ids(stream)) {
        const o = engine.get(stream, id) as { created_at: number; updated_at: number };
        expect(Number.isInteger(o.created_at)).toBe(true);
        expect(o.created_at).toBeLessThanOrEqual(o.updated_at);
        expect(o.updated_at).toBeLessThanOrEqual(START / 1000);
      }
    }
  });

  it('admins, teams and tags have no timestamps; their updates change content and log updatedAt null', () => {
    const { engine } = build(5);
    const team = engine.ids('teams')[0] as string;
    const before = engine.get('teams', team);
    expect(Object.keys(before ?? {}).some((k) => k.endsWith('_at'))).toBe(false);
    engine.update('teams', team);
    expect(engine.get('teams', team)).not.toEqual(before);
    expect(engine.log().at(-1)).toMatchObject({ stream: 'teams', id: team, op: 'u', updatedAt: null });
  });

  it('the change log tells apart every mutation: a conversation update adds a part and logs both', () => {
    const { engine, clock } = build(6);
    clock.advance(10_500);
    const conversation = engine.ids('conversations')[0] as string;
    const partCount = (): number =>
      (engine.get('conversations', conversation) as { statistics: { count_conversation_parts: number } })
        .statistics.count_conversation_parts;
    const parts = partCount();
    engine.update('conversations', conversation);
    const nowSec = Math.floor(clock.now() / 1000);
    expect(
      engine.log().map(({ stream, op, updatedAt, parentId }) => ({ stream, op, updatedAt, parentId })),
    ).toEqual([
      { stream: 'conversations', op: 'u', updatedAt: nowSec, parentId: undefined },
      { stream: 'conversation_parts', op: 'c', updatedAt: nowSec, parentId: conversation },
    ]);
    expect(partCount()).toBe(parts + 1);
  });

  it('holds about 25 bytes of columns per row: a million contacts are typed arrays, not objects', () => {
    const { ws } = build(8, 1_000_000);
    const table = ws.table('contacts');
    const bytes =
      table.createdAt.byteLength +
      table.updatedAt.byteLength +
      table.version.byteLength +
      table.changedAtMs.byteLength +
      table.flags.byteLength;
    expect(table.length).toBe(1_000_000);
    expect(bytes).toBeLessThan(30_000_000);
  });
});

describe('contact tags', () => {
  it('a contact never lists the same tag twice; the embedded list is the first ten of all its tags', () => {
    const { ws } = build(3, 2000);
    let tagged = 0;
    let overTen = 0;
    for (let row = 0; row < 2000; row++) {
      const tags = ws.render('contacts', row).tags as {
        data: Array<{ id: string }>;
        total_count: number;
        has_more: boolean;
      };
      const all = contactTagRows(ws, row).map((tagRow) => ws.id('tags', tagRow));
      expect(new Set(all).size).toBe(all.length);
      expect(tags.data.map((t) => t.id)).toEqual(all.slice(0, 10));
      expect([tags.total_count, tags.has_more]).toEqual([all.length, all.length > 10]);
      if (all.length > 0) tagged++;
      if (all.length > 10) overTen++;
    }
    // The workspace still tags about three contacts in ten, some with more than ten tags.
    expect(tagged).toBeGreaterThan(400);
    expect(overTen).toBeGreaterThan(0);
  });
});
