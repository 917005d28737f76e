import { ApiError } from '../../../src/sim/api-error';
import { type RowAccess, compileQuery } from '../../../src/sim/search/compile';
import type { SearchStream } from '../../../src/sim/search/fields';
import { parseSearchRequest } from '../../../src/sim/search/query';
import { createdAtBounds, runSearch } from '../../../src/sim/search/run';
import { DEFAULT_SIZE, Workspace } from '../../../src/sim/workspace';

/** A row with fixed columns and a rendered object, as the search engine sees it. */
function row(updatedAt: number, object: Record<string, unknown> = {}, id = 'a'): RowAccess {
  return {
    id: () => id,
    createdAt: () => 0,
    updatedAt: () => updatedAt,
    object: () => ({ updated_at: updatedAt, ...object }),
  };
}

function matches(stream: SearchStream, query: unknown, r: RowAccess, dayTimezone = 'UTC'): boolean {
  return compileQuery(stream, parseSearchRequest({ query }).query, { dayTimezone })(r);
}

function rejects(stream: SearchStream, body: unknown): ApiError {
  try {
    compileQuery(stream, parseSearchRequest(body).query, { dayTimezone: 'UTC' });
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    return error as ApiError;
  }
  throw new Error('expected a 400');
}

const sec = (iso: string): number => Date.parse(iso) / 1000;
const filter = (field: string, operator: string, value: unknown) => ({ field, operator, value });

describe('contact search matches timestamps by calendar day', () => {
  const nineAm = row(sec('2026-01-05T09:00:00Z'));

  it('> 08:00 of the same day does not match 09:00; > the day before does', () => {
    expect(matches('contacts', filter('updated_at', '>', sec('2026-01-05T08:00:00Z')), nineAm)).toBe(false);
    expect(matches('contacts', filter('updated_at', '>', sec('2026-01-04T23:59:59Z')), nineAm)).toBe(true);
  });

  it('= matches the whole day, < matches only before the start of the day', () => {
    expect(matches('contacts', filter('updated_at', '=', sec('2026-01-05T23:59:59Z')), nineAm)).toBe(true);
    expect(matches('contacts', filter('updated_at', '=', sec('2026-01-06T00:00:00Z')), nineAm)).toBe(false);
    expect(matches('contacts', filter('updated_at', '<', sec('2026-01-05T23:00:00Z')), nineAm)).toBe(false);
    expect(matches('contacts', filter('updated_at', '<', sec('2026-01-06T00:00:00Z')), nineAm)).toBe(true);
  });

  it('uses the workspace timezone: 09:00 vs > 08:00 in Tokyo, and a different day than UTC near midnight', () => {
    const tokyoNine = row(sec('2026-01-05T00:00:00Z')); // 09:00 in Tokyo
    expect(
      matches('contacts', filter('updated_at', '>', sec('2026-01-04T23:00:00Z')), tokyoNine, 'Asia/Tokyo'),
    ).toBe(false);
    // In UTC the 23:00 bound is the day before, so the same contact matches.
    expect(
      matches('contacts', filter('updated_at', '>', sec('2026-01-04T23:00:00Z')), tokyoNine, 'UTC'),
    ).toBe(true);
  });

  it('accepts numeric strings, as the official example sends them', () => {
    expect(matches('contacts', filter('created_at', '<', '1900000000'), row(0, { created_at: 1 }))).toBe(
      true,
    );
  });

  it.each(['>=', '<=', '!=', 'IN', 'NIN'])('rejects %s on a contact date field', (operator) => {
    const error = rejects('contacts', {
      query: filter('updated_at', operator, operator.includes('IN') ? [1] : 1),
    });
    expect(error.message).toContain(operator);
  });

  it('rejects a date value of the wrong type', () => {
    expect(rejects('contacts', { query: filter('created_at', '>', 'foobar') }).message).toContain(
      'created_at',
    );
  });
});

describe('conversation and ticket search', () => {
  const at = row(1000);
  it.each(['conversations', 'tickets'] as const)(
    '%s: > and < include the bound at second precision',
    (stream) => {
      expect(matches(stream, filter('updated_at', '>', 1000), at)).toBe(true);
      expect(matches(stream, filter('updated_at', '<', 1000), at)).toBe(true);
      expect(matches(stream, filter('updated_at', '>', 1001), at)).toBe(false);
      expect(matches(stream, filter('updated_at', '<', 999), at)).toBe(false);
    },
  );

  it('multi-valued fields match when any value does, and != when none does', () => {
    const r = row(1, { contacts: { contacts: [{ id: 'c1' }, { id: 'c2' }] } });
    expect(matches('conversations', filter('contact_ids', '=', 'c2'), r)).toBe(true);
    expect(matches('conversations', filter('contact_ids', '!=', 'c2'), r)).toBe(false);
    expect(matches('conversations', filter('contact_ids', 'NIN', ['c3']), r)).toBe(true);
  });

  it('string operators compare case-insensitively; source.body matches single words', () => {
    const r = row(1, { state: 'open', source: { body: '<p>I need support</p>' } });
    expect(matches('conversations', filter('state', '^', 'OP'), r)).toBe(true);
    expect(matches('conversations', filter('state', '!~', 'pen'), r)).toBe(false);
    expect(matches('conversations', filter('source.body', '=', 'support'), r)).toBe(true);
    expect(matches('conversations', filter('source.body', '=', 'need support'), r)).toBe(false);
  });
});

describe('id comparisons, as public connectors page with them', () => {
  const byId = (id: string): RowAccess => row(1, {}, id);

  it('id > "" matches every object of every search stream', () => {
    for (const stream of ['contacts', 'conversations', 'tickets'] as const)
      expect(matches(stream, filter('id', '>', ''), byId('100000001'))).toBe(true);
  });

  it("compares ids as strings, the bound included where the stream's > and < are inclusive", () => {
    expect(matches('conversations', filter('id', '>', '100000005'), byId('100000006'))).toBe(true);
    expect(matches('conversations', filter('id', '>', '100000005'), byId('100000004'))).toBe(false);
    expect(matches('conversations', filter('id', '>', '100000005'), byId('100000005'))).toBe(true);
    expect(matches('conversations', filter('id', '<', '100000005'), byId('100000005'))).toBe(true);
    expect(matches('conversations', filter('id', '<', '100000005'), byId('100000006'))).toBe(false);
    expect(matches('contacts', filter('id', '>', '6a0b'), byId('6a0b'))).toBe(false);
    expect(matches('contacts', filter('id', '>=', '6a0b'), byId('6a0b'))).toBe(true);
    expect(matches('contacts', filter('id', '<=', '6a0b'), byId('6a0c'))).toBe(false);
    expect(matches('contacts', filter('id', '<', '6a0c'), byId('6a0b'))).toBe(true);
    // String order, not numeric: "9" sorts after "10".
    expect(matches('tickets', filter('id', '>', '10'), byId('9'))).toBe(true);
  });

  it('still rejects > on other string fields', () => {
    expect(rejects('conversations', { query: filter('state', '>', 'a') }).message).toContain('>');
  });
});

describe('query structure', () => {
  const leaf = filter('updated_at', '>', 1);

  it('combines AND and OR groups two levels deep', () => {
    const query = {
      operator: 'OR',
      value: [
        { operator: 'AND', value: [filter('updated_at', '>', 5), filter('updated_at', '<', 7)] },
        filter('id', '=', 'z'),
      ],
    };
    expect(matches('conversations', query, row(6))).toBe(true);
    expect(matches('conversations', query, row(9))).toBe(false);
    expect(matches('conversations', query, row(9, {}, 'z'))).toBe(true);
  });

  it('rejects a third level of nesting', () => {
    const deep = {
      operator: 'AND',
      value: [{ operator: 'OR', value: [{ operator: 'AND', value: [leaf] }] }],
    };
    expect(rejects('contacts', { query: deep }).message).toMatch(/Nesting/);
  });

  it('rejects more than 15 filters in a group, accepts 15', () => {
    expect(() =>
      parseSearchRequest({ query: { operator: 'AND', value: Array(15).fill(leaf) } }),
    ).not.toThrow();
    expect(rejects('contacts', { query: { operator: 'AND', value: Array(16).fill(leaf) } }).message).toMatch(
      /15/,
    );
  });

  it('rejects unknown operators and fields, and a missing query', () => {
    rejects('contacts', { query: filter('updated_at', '≈', 1) });
    expect(rejects('contacts', { query: filter('updated', '>', 1) }).apiCode).toBe('field_not_found');
    expect(rejects('tickets', {}).apiCode).toBe('parameter_not_found');
  });

  it('caps per_page at 150 and keeps the cursor', () => {
    expect(
      parseSearchRequest({ query: leaf, pagination: { per_page: 500, starting_after: 'WzFd' } }),
    ).toMatchObject({
      perPage: 150,
      startingAfter: 'WzFd',
    });
  });
});

describe('a search bounded in created_at reads only the rows created in that range', () => {
  it('finds exactly what a scan of every row finds, for slices of days and seconds and their unions', () => {
    const ws = new Workspace({
      seed: 3,
      size: { ...DEFAULT_SIZE, contacts: 3000, conversations: 800 },
      timezone: 'Europe/Paris',
      startMs: Date.parse('2026-01-05T00:00:00Z'),
      maxParts: 500,
    });
    const ctx = { nowMs: Date.parse('2026-01-05T00:00:00Z'), lagMs: 0, dayTimezone: 'Europe/Paris' };
    const day = 86_400;
    const start = Date.parse('2026-01-05T00:00:00Z') / 1000;
    for (const stream of ['contacts', 'conversations'] as const) {
      const table = ws.table(stream);
      for (let i = 0; i < 20; i++) {
        const a = start - Math.floor(((i * 7919) % 1700) * day * 0.97) - (i % 3) * 3600;
        const b = a + ((i * 104729) % 90) * day + 1;
        const queries = [
          { operator: 'AND', value: [filter('created_at', '>', a), filter('created_at', '<', b)] },
          filter('created_at', '>', a),
          filter('created_at', '<', b),
          { operator: 'OR', value: [filter('created_at', '<', a), filter('created_at', '>', b)] },
        ];
        for (const query of queries) {
          const request = parseSearchRequest({ query });
          table.createdInOrder = true;
          const fast = Array.from(runSearch(ws, stream, request, ctx).rows);
          table.createdInOrder = false; // every row
          const slow = Array.from(runSearch(ws, stream, request, ctx).rows);
          expect({ stream, query, rows: fast }).toEqual({ stream, query, rows: slow });
        }
      }
      table.createdInOrder = true;
      expect(createdAtBounds(parseSearchRequest({ query: filter('email', '=', 'x') }).query)).toEqual([
        -Infinity,
        Infinity,
      ]);
    }
  });
});
