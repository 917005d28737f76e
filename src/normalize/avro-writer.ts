/**
 * Avro's binary encoding of primitive values (Avro 1.11 specification, "Binary Encoding"), written into
 * one growing scratch buffer: zig-zag varints for int and long, little-endian IEEE 754 for float and
 * double, one byte for boolean, a length then UTF-8 bytes for string. The bytes are those avsc writes
 * for the same values (the tests compare them).
 *
 * A value is written from `start` (which may first copy a fixed prefix, such as the Confluent header)
 * to `finish`, which returns its bytes. Values are written one after the other into slabs of memory and
 * returned as views of them, never copied and never written over: a slab is freed once no value of it
 * is held any more (for events: once their transaction committed). One slab holds many values, so that
 * writing a value allocates no memory of its own; a value that outgrows what is left of the slab moves
 * to a new one.
 */
/** The largest magnitude of a long written: 2^52, as avsc bounds longs held in JavaScript numbers. */
export const MAX_LONG = 2 ** 52;

export class AvroWriter {
  /** The slab being written, and the position in it. */
  buf: Buffer;
  pos = 0;
  /** Where the value being written starts in the slab. */
  private base = 0;
  /** Where the bytes of the last string written begin in the slab (its length prefix excluded). */
  private lastString = 0;

  constructor(private readonly slabBytes = 256 * 1024) {
    this.buf = Buffer.allocUnsafe(slabBytes);
  }

  /** Starts a value, after `prefix` when given (a value started and not finished is dropped). */
  start(prefix?: Uint8Array): void {
    this.pos = this.base;
    if (prefix) {
      this.ensure(prefix.length);
      this.buf.set(prefix, this.pos);
      this.pos += prefix.length;
    }
  }

  /** The bytes written since `start`: a view of the slab that no later value writes over. */
  finish(): Buffer {
    const out = this.buf.subarray(this.base, this.pos);
    this.base = this.pos;
    return out;
  }

  /** Where the bytes of the last string written begin, counted from the start of the value. */
  get lastStringOffset(): number {
    return this.lastString - this.base;
  }

  /** Makes room for `n` more bytes: the value moves to a new slab when this one is too small. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const used = this.pos - this.base;
    const slab = Buffer.allocUnsafe(Math.max(this.slabBytes, 2 * (used + n)));
    this.buf.copy(slab, 0, this.base, this.pos);
    this.lastString -= this.base;
    this.buf = slab;
    this.base = 0;
    this.pos = used;
  }

  /** One byte: a boolean (0 or 1), or the zig-zag varint of a small non-negative number (< 64). */
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  boolean(b: boolean): void {
    this.byte(b ? 1 : 0);
  }

  /**
   * A long or an int: zig-zag, then base-128 varint, least significant group first. Integers within
   * ±2^52 only (avsc's bound: past it the zig-zag value is not exact in a double); others throw.
   */
  long(n: number): void {
    if (!(n >= -MAX_LONG && n <= MAX_LONG && Math.floor(n) === n))
      throw new RangeError(`Avro long: ${n} is not an integer within ±2^52`);
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    if (n >= -1073741824 && n < 1073741824) {
      // The zig-zag value fits 31 bits: integer arithmetic.
      let m = n >= 0 ? n << 1 : (~n << 1) | 1;
      while (m > 0x7f) {
        buf[pos++] = (m & 0x7f) | 0x80;
        m >>>= 7;
      }
      buf[pos++] = m;
    } else {
      // Floating-point arithmetic, exact for zig-zag values up to 2^53, as 32-bit operators would overflow.
      let f = n >= 0 ? n * 2 : -n * 2 - 1;
      while (f >= 128) {
        buf[pos++] = (f % 128) | 0x80;
        f = Math.floor(f / 128);
      }
      buf[pos++] = f;
    }
    this.pos = pos;
  }

  double(d: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(d, this.pos);
    this.pos += 8;
  }

  float(f: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(f, this.pos);
    this.pos += 4;
  }

  /** Bytes already in Avro binary (a value encoded elsewhere, e.g. on a worker thread), copied as they are. */
  append(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * A string: its UTF-8 length, then its UTF-8 bytes. Short strings of ASCII characters (most keys,
   * ids, names and enum-like values) are copied a character at a time; any other string goes through
   * Node's UTF-8 encoder. A lone surrogate becomes U+FFFD, as in Buffer.from (callers refuse such text
   * before they write it).
   */
  string(s: string): void {
    const n = s.length;
    if (n < 43) {
      // At most 3 bytes per UTF-16 unit: at most 128 bytes, so the length is at most 2 varint bytes.
      this.ensure(2 + 3 * n);
      const buf = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === n) {
        buf[this.pos] = n << 1; // n < 64: one varint byte
        this.lastString = start;
        this.pos = start + n;
        return;
      }
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    this.long(bytes);
    this.ensure(bytes);
    this.lastString = this.pos;
    this.pos += this.buf.write(s, this.pos, bytes, 'utf8');
  }
}
