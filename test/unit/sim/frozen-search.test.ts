import { createClock } from '../../../src/sim/clock';
import { MutationEngine } from '../../../src/sim/mutations';
import { parseSearchRequest } from '../../../src/sim/search/query';
import { runSearch } from '../../../src/sim/search/run';
import { DEFAULT_SIZE, Workspace } from '../../../src/sim/workspace';

/** The stale search index on demand (Mutations.freezeSearch), below HTTP. */
const START = Date.UTC(2026, 0, 5, 12);

function build(searchLagMs = 0) {
  const ws = new Workspace({
    seed: 9,
    size: { ...DEFAULT_SIZE, contacts: 30, conversations: 10, tickets: 10 },
    timezone: 'UTC',
    startMs: START,
    maxParts: 500,
  });
  const clock = createClock({ mode: 'manual', startMs: START });
  const engine = new MutationEngine(ws, clock);
  const search = (stream: 'contacts' | 'conversations' | 'tickets', body: unknown) => {
    const result = runSearch(ws, stream, parseSearchRequest(body), {
      nowMs: clock.now(),
      lagMs: searchLagMs,
      dayTimezone: 'UTC',
    });
    return Array.from(result.rows, (row) => result.render(row));
  };
  return { ws, clock, engine, search };
}

const everything = { query: { field: 'created_at', operator: '>', value: 0 }, pagination: { per_page: 150 } };

describe('a frozen search copy', () => {
  it('is shown, matched and sorted as it was when frozen, while GET shows the truth; then it thaws', () => {
    const { clock, engine, search } = build();
    const id = engine.ids('contacts')[3] as string;
    engine.update('contacts', id, { name: 'Version One' });
    const v1 = engine.get('contacts', id) as Record<string, unknown>;
    engine.freezeSearch('contacts', id, 90_000);
    clock.advance(300); // the same second
    engine.update('contacts', id, { name: 'Version Two' });
    const truth = engine.get('contacts', id) as Record<string, unknown>;
    expect(truth.name).toBe('Version Two');
    expect(truth.updated_at).toBe(v1.updated_at);
    expect(truth).not.toEqual({ ...v1, name: 'Version Two' }); // other content changed too

    const found = (body: unknown) => search('contacts', body).filter((c) => c.id === id);
    const byName = (name: string) => ({ query: { field: 'name', operator: '=', value: name } });
    expect(found(everything)).toEqual([v1]);
    expect(found(byName('Version One'))).toHaveLength(1);
    expect(found(byName('Version Two'))).toHaveLength(0);

    // Another contact updated 2 s later, then this one 5 s later: the index still sorts this one by
    // the frozen updated_at, so after the other.
    const other = engine.ids('contacts')[4] as string;
    clock.advance(2_000);
    engine.update('contacts', other);
    clock.advance(3_000);
    engine.update('contacts', id, { name: 'Version Three' });
    const sorted = search('contacts', { ...everything, sort: { field: 'updated_at', order: 'descending' } });
    expect(sorted.slice(0, 2).map((c) => [c.id, c.updated_at])).toEqual([
      [other, (v1.updated_at as number) + 2],
      [id, v1.updated_at],
    ]);

    clock.advance(90_000 - 5_300 - 1);
    expect(found(everything)[0]?.name).toBe('Version One');
    clock.advance(1);
    expect(found(everything)).toEqual([engine.get('contacts', id)]);
    expect(found(byName('Version Three'))).toHaveLength(1);
  });

  it('keeps a deleted conversation listed until it thaws; lists and the truth forget it at once', () => {
    const { clock, engine, search } = build();
    const id = engine.ids('conversations')[2] as string;
    const before = search('conversations', everything).find((c) => c.id === id);
    engine.freezeSearch('conversations', id, 60_000);
    engine.remove('conversations', id);
    expect(engine.get('conversations', id)).toBeUndefined();
    expect(engine.ids('conversations')).not.toContain(id);
    expect(search('conversations', everything).find((c) => c.id === id)).toEqual(before);
    clock.advance(60_000);
    expect(search('conversations', everything).map((c) => c.id)).not.toContain(id);
  });

  it('counts as indexed whatever the lag; refreezing takes a new copy; logs nothing', () => {
    const { clock, engine, search } = build(120_000);
    const id = engine.ids('tickets')[1] as string;
    engine.update('tickets', id); // hidden from search by the lag ...
    expect(search('tickets', everything).map((t) => t.id)).not.toContain(id);
    const logged = engine.log().length;
    engine.freezeSearch('tickets', id, 10_000); // ... unless frozen
    expect(search('tickets', everything).find((t) => t.id === id)).toEqual(engine.get('tickets', id));
    clock.advance(1_000);
    engine.update('tickets', id, { title: 'Refrozen' });
    engine.freezeSearch('tickets', id, 10_000);
    clock.advance(9_500); // past the first freeze's end, inside the second's
    expect(search('tickets', everything).find((t) => t.id === id)?.title).toBe('Refrozen');
    expect(engine.log().length).toBe(logged + 1);
  });

  it('refuses streams without search, unknown ids and bad durations', () => {
    const { engine } = build();
    const contact = engine.ids('contacts')[0] as string;
    expect(() => engine.freezeSearch('articles' as never, engine.ids('articles')[0] as string, 1)).toThrow(
      /no search endpoint/,
    );
    expect(() => engine.freezeSearch('contacts', 'nope', 1)).toThrow(/no live contacts object/);
    expect(() => engine.freezeSearch('contacts', contact, -1)).toThrow(/forMs/);
    expect(() => engine.freezeSearch('contacts', contact, NaN)).toThrow(/forMs/);
  });
});
