import * as avro from 'avsc';
import { AvroWriter } from '../../../src/normalize';

/** The bytes one writer call writes from a fresh start. */
function written(write: (w: AvroWriter) => void, initialBytes = 1): Buffer {
  const w = new AvroWriter(initialBytes);
  w.start();
  write(w);
  return w.finish();
}

const longType = avro.Type.forSchema('long');
const stringType = avro.Type.forSchema('string');

describe('AvroWriter', () => {
  it.each([
    0,
    1,
    -1,
    63,
    64,
    -64,
    -65,
    127,
    128,
    8191,
    8192,
    2 ** 30 - 1,
    2 ** 30,
    -(2 ** 30),
    -(2 ** 30) - 1,
    2 ** 31,
    -(2 ** 31),
    2 ** 32 + 7,
    1734700000123,
    -1734700000123,
    2 ** 52,
    -(2 ** 52),
    2 ** 52 - 1,
  ])('writes the long %d as avsc does', (n) => {
    expect(written((w) => w.long(n))).toEqual(longType.toBuffer(n));
  });

  it('writes random longs as avsc does', () => {
    for (let i = 0; i < 2000; i++) {
      const n = Math.round((Math.random() - 0.5) * 2 ** (1 + Math.floor(Math.random() * 52)));
      expect(written((w) => w.long(n))).toEqual(longType.toBuffer(n));
    }
  });

  it.each([2 ** 52 + 2, -(2 ** 53), 0.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses the long %d',
    (n) => {
      expect(() => written((w) => w.long(n))).toThrow(RangeError);
    },
  );

  it.each([
    ['empty', ''],
    ['short ASCII', 'contact'],
    ['42 ASCII characters', 'x'.repeat(42)],
    ['43 ASCII characters', 'x'.repeat(43)],
    ['64 ASCII characters', 'y'.repeat(64)],
    ['short non-ASCII', 'Zoë'],
    ['non-ASCII late in a short string', `${'a'.repeat(40)}é`],
    ['3-byte characters', '☕'.repeat(42)],
    ['a surrogate pair', 'party \ud83c\udf89'],
    ['long text', 'Ünïcødé ✓ '.repeat(2000)],
  ])('writes a string (%s) as avsc does', (_what, s) => {
    const bytes = written((w) => w.string(s));
    expect(bytes).toEqual(stringType.toBuffer(s));
    expect(stringType.fromBuffer(bytes)).toBe(s);
  });

  it('writes doubles, floats and booleans as avsc does', () => {
    for (const d of [0, -0.5, 155.5, 1e300, -Number.MIN_VALUE])
      expect(written((w) => w.double(d))).toEqual(avro.Type.forSchema('double').toBuffer(d));
    for (const f of [0, 0.25, -3.5, 1.1])
      expect(written((w) => w.float(f))).toEqual(avro.Type.forSchema('float').toBuffer(f));
    expect(written((w) => (w.boolean(true), w.boolean(false)))).toEqual(Buffer.from([1, 0]));
  });

  it('starts each value after its prefix, moves a value that outgrows its slab, and says where its last string begins', () => {
    const w = new AvroWriter(8);
    w.start(Buffer.from([0, 0, 0, 0, 9]));
    w.long(5);
    w.string('héllo wörld '.repeat(10));
    const start = w.lastStringOffset;
    const out = w.finish();
    expect(out.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, 9]));
    expect(out.subarray(start).toString('utf8')).toBe('héllo wörld '.repeat(10));
    w.start();
    w.string('ab');
    expect(w.finish()).toEqual(stringType.toBuffer('ab'));
    expect(out.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, 9]));
  });

  it('returns values that later values never write over, many to a slab', () => {
    const w = new AvroWriter(1024);
    const values = Array.from({ length: 500 }, (_, i) => {
      w.start(Buffer.from([i & 0xff]));
      w.string(`value ${i} `.repeat(i % 7));
      return w.finish();
    });
    values.forEach((value, i) => {
      expect(value[0]).toBe(i & 0xff);
      expect(stringType.fromBuffer(value.subarray(1))).toBe(`value ${i} `.repeat(i % 7));
    });
    expect(new Set(values.map((v) => v.buffer)).size).toBeLessThan(100);
  });

  it('drops a value started again before it was finished', () => {
    const w = new AvroWriter(64);
    w.start();
    w.string('abandoned');
    w.start();
    w.string('kept');
    expect(w.finish()).toEqual(stringType.toBuffer('kept'));
  });
});
