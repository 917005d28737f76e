import { createHash } from 'node:crypto';
import { canonicalJson, contentHash, hashOfCanonical } from '../../../src/normalize';
import admin from '../../fixtures/intercom/admins.json';

/** The same object with the keys of every nested object in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([key, child]) => [key, reverseKeys(child)]),
    );
  }
  return value;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order, drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('sorts integer-like keys as strings', () => {
    expect(canonicalJson({ 10: 'a', 9: 'b', x: 'c' })).toBe('{"10":"a","9":"b","x":"c"}');
  });

  it('follows JSON.stringify for undefined, NaN and toJSON', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, Number.NaN], c: new Date(0) })).toBe(
      '{"b":[null,null],"c":"1970-01-01T00:00:00.000Z"}',
    );
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe('contentHash', () => {
  it('is the base64url sha256 of the canonical JSON', () => {
    const expected = createHash('sha256').update('{"a":1,"b":[1,2]}').digest('base64url');
    expect(contentHash({ b: [1, 2], a: 1 })).toBe(expected);
    expect(contentHash(admin)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('is the same taken of the UTF-8 bytes of the canonical JSON (as the event writes them)', () => {
    for (const value of [admin, { name: 'Zoë ☕ \ud83c\udf89', n: [1.5, -0] }, {}]) {
      expect(hashOfCanonical(Buffer.from(canonicalJson(value), 'utf8'))).toBe(contentHash(value));
    }
  });

  it('is stable under key reordering at every depth', () => {
    const reordered = reverseKeys(admin);
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(admin));
    expect(contentHash(reordered)).toBe(contentHash(admin));
    expect(contentHash(JSON.parse(JSON.stringify(admin)))).toBe(contentHash(admin));
  });

  it.each<[string, (a: Record<string, unknown>) => void]>([
    ['a changed value', (a) => (a.name = 'Ciaran Lee Jr.')],
    [
      'a changed nested value',
      (a) => ((a.team_priority_level as { primary_team_ids: number[] }).primary_team_ids = [1]),
    ],
    ['a reordered array', (a) => (a.team_ids as number[]).reverse()],
    ['a number that became a string', (a) => (a.away_status_reason_id = '12')],
    ['null that became absent', (a) => delete a.away_status_reason_id],
    ['a renamed key', (a) => ((a.title = a.job_title), delete a.job_title)],
    ['an added key', (a) => (a.extra = true)],
  ])('changes with %s', (_label, change) => {
    const copy = JSON.parse(JSON.stringify(admin)) as Record<string, unknown>;
    change(copy);
    expect(contentHash(copy)).not.toBe(contentHash(admin));
  });
});

/** The first implementation, kept as the specification of the canonical form (sort, then stringify). */
function reference(value: unknown): string | undefined {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  )
    return reference((value as { toJSON(): unknown }).toJSON());
  if (Array.isArray(value)) return `[${value.map((item) => reference(item) ?? 'null').join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const text = reference((value as Record<string, unknown>)[key]);
      if (text !== undefined) entries.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) as string | undefined;
}

describe('canonicalJson against its specification', () => {
  const KEYS = [
    'a',
    'B',
    '10',
    '9',
    '',
    'with space',
    'quote"d',
    'back\\slash',
    'é',
    '😀',
    'new\nline',
    '$x',
    'a.b',
    '-',
  ];
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  function value(depth: number): unknown {
    const r = rand();
    if (depth > 3 || r < 0.3)
      return pick([
        null,
        true,
        false,
        0,
        -0,
        1.5,
        -2e-7,
        1e21,
        Number.NaN,
        Infinity,
        'x',
        'ünï"\\\n',
        '',
        undefined,
      ]);
    if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: Math.floor(rand() * 6) }, () => [pick(KEYS), value(depth + 1)]),
    );
  }

  it('writes exactly what sorting and stringifying writes, for 5,000 random values', () => {
    for (let i = 0; i < 5000; i++) {
      const v = value(0);
      expect(canonicalJson(v)).toBe(reference(v) ?? 'null');
    }
  });

  it('stays exact past the cache of object shapes (more shapes than it holds, then old ones again)', () => {
    const shapes = Array.from({ length: 6000 }, (_, i) => ({ [`k${i}`]: i, a: 1, [`z${i % 7}`]: [i] }));
    const sameFirstKey = Array.from({ length: 40 }, (_, i) => ({ a: 1, [`b${i}`]: 2, c: { [`d${i}`]: 3 } }));
    for (const v of [...shapes, ...sameFirstKey, ...shapes.slice(0, 100), ...sameFirstKey])
      expect(canonicalJson(v)).toBe(reference(v));
  });

  it('gives the admin fixture the same hash as before', () => {
    expect(canonicalJson(admin)).toBe(reference(admin));
  });
});
