import { deadLetter } from '../../../src/capture/events';
import { deadLetterCopy } from '../../../src/normalize/bounded-json';
import {
  UnsafeObjectError,
  assertSafeJson,
  canonicalJson,
  safeCanonicalJson,
  stringifyDeep,
} from '../../../src/normalize';

function nest(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe('assertSafeJson', () => {
  it('accepts ordinary objects', () => {
    expect(() => assertSafeJson({ a: [1, 'x', { b: null }], c: 'é 🎉' }, 'contacts')).not.toThrow();
  });

  it('refuses nesting deeper than the limit, at any depth, without recursion', () => {
    for (const depth of [65, 100_000]) {
      const error = (() => {
        try {
          assertSafeJson({ custom_attributes: { deep: nest(depth) } }, 'contacts');
        } catch (e) {
          return e;
        }
      })() as UnsafeObjectError;
      expect(error).toBeInstanceOf(UnsafeObjectError);
      expect(error.code).toBe('too_deep');
      expect(error.path.startsWith('contacts.custom_attributes.deep.a')).toBe(true);
    }
    expect(() => assertSafeJson(nest(63), 'x')).not.toThrow();
  });

  it.each([
    ['a lone high surrogate', { name: 'a\ud800b' }, 'contacts.name'],
    ['a lone low surrogate in an array', { tags: ['ok', '\udc00'] }, 'contacts.tags[1]'],
    ['U+FFFD (bytes that were not UTF-8)', { location: { city: 'K\ufffdln' } }, 'contacts.location.city'],
    ['a bad key', { ['k\ud800']: 1 }, 'contacts.k\ud800'],
  ])('refuses %s', (_what, object, path) => {
    expect(() => assertSafeJson(object, 'contacts')).toThrow(
      expect.objectContaining({ code: 'invalid_utf8', path }) as Error,
    );
  });
});

describe('safeCanonicalJson', () => {
  const outcome = (run: () => unknown) => {
    try {
      return { value: run() };
    } catch (error) {
      const e = error as UnsafeObjectError;
      return { code: e.code, path: e.path, message: e.message };
    }
  };

  it.each<[string, unknown]>([
    ['an ordinary object', { b: [1, 'x', { c: null }], a: 'é 🎉' }],
    ['a valid surrogate pair (an emoji)', { name: 'party \ud83c\udf89' }],
    ['text that spells a surrogate escape', { note: 'C:\\udata', other: '\\ud800' }],
    ['a backslash before ud in a key', { ['\\udx']: 1 }],
    ['nesting one level under the limit', { deep: nest(62) }],
    ['nesting at the limit', { deep: nest(63) }],
    ['nesting over the limit', { deep: nest(64) }],
    ['nesting far over the limit', { deep: nest(100_000) }],
    ['a lone high surrogate', { name: 'a\ud800b' }],
    ['a lone low surrogate in an array', { tags: ['ok', '\udc00'] }],
    ['U+FFFD in a value', { location: { city: 'K\ufffdln' } }],
    ['U+FFFD in a key', { ['k\ufffd']: 1 }],
    ['a lone surrogate in a key', { ['k\ud800']: 1 }],
    ['an empty array too deep', { deep: nest(62), list: [[[]]] }],
  ])('is canonicalJson after the checks of assertSafeJson: %s', (_what, value) => {
    const checked = outcome(() => assertSafeJson(value, 'contacts'));
    const expected = 'code' in checked ? checked : { value: canonicalJson(value) };
    expect(outcome(() => safeCanonicalJson(value, 'contacts'))).toEqual(expected);
  });
});

describe('stringifyDeep', () => {
  it('writes what JSON.stringify writes', () => {
    const value = { a: [1, null, 'x"y', { b: true, u: undefined }], c: { d: -1.5 }, e: '\ud800' };
    expect(stringifyDeep(value)).toBe(JSON.stringify(value));
  });

  it('writes values too deep for JSON.stringify', () => {
    const text = stringifyDeep(nest(20_000));
    expect(text.length).toBe(20_000 * 6 + 1);
    expect(text.startsWith('{"a":{"a":')).toBe(true);
  });
});

describe('deadLetter', () => {
  it('keeps a small raw object whole', () => {
    const m = deadLetter('contacts', '1', deadLetterCopy({ id: '1', x: [1] }), new Error('bad'), 5);
    expect(JSON.parse(String(m.value))).toEqual({
      stream: 'contacts',
      id: '1',
      error: 'bad',
      code: 'unknown',
      ts_ms: 5,
      raw: { id: '1', x: [1] },
    });
  });

  it('cuts a huge raw so that the record fits in a Kafka message, and says so', () => {
    const object = { id: '1', name: '"'.repeat(3_000_000) };
    const m = deadLetter('contacts', '1', deadLetterCopy(object), new Error('too big'), 5);
    const value = JSON.parse(String(m.value)) as Record<string, unknown>;
    expect(Buffer.byteLength(String(m.value))).toBeLessThan(1_000_000);
    expect(value).toMatchObject({
      raw_truncated: true,
      raw_bytes: Buffer.byteLength(JSON.stringify(object)),
    });
    expect(JSON.stringify(object).startsWith(value.raw as string)).toBe(true);
  });
});
