import type { ObjectState } from '../capture/contracts';
import { DECIMAL, HEX24, PARSED, parseCompactId } from '../capture/id-set';

/**
 * One stream's object states (id → `{u, h}`) at a small, fixed cost per object: the state store
 * (state-store.ts) holds one table per stream, and a workspace may have ten million objects.
 *
 * Why this design. A `Map<string, {u, h}>` costs 260–300 bytes per object (a map entry, an id string, an
 * object, a 43-character hash string). Intercom's ids are almost all 24 lowercase hex digits (contacts,
 * companies) or decimal numbers (conversations and their parts, admins, teams, tags), and the content
 * hash is always the base64url text of a sha256 digest (src/normalize/hash.ts). So an object is held as
 * fixed-width bytes in typed arrays: its id as three 32-bit words (hex ids as their 12 bytes, decimal
 * ids as their number), its `updated_at` in a Float64Array (NaN for null) and its hash as the digest's
 * 32 bytes (all 256 bits: the diff compares the hash text for equality, so the text must come back
 * exactly, which a shorter prefix could not give). About 53 bytes per object plus the index
 * (4 bytes per index slot, at most 70 % full), and no JS object per object for the garbage collector to
 * trace.
 * - Slots live in pages of 65,536 (the first page doubles from 16 up to that size, so that a small
 *   stream stays small); a large table grows by one page at a time, without copying or leaving half of
 *   a doubled array unused.
 * - The index is an open-addressing hash table (linear probing) of slot numbers in an Int32Array,
 *   doubled when 70 % full; a delete shifts the entries after it back (no tombstones), and the freed slot
 *   goes on a free list threaded through the slots, so churn reuses memory instead of growing it.
 * - Anything else is kept exactly in an overflow `Map`: ids of any other shape (uppercase hex, decimal
 *   with leading zeros, UUIDs, `model.name` of data attributes, the empty string), hashes that are not
 *   the text of a 32-byte digest, a NaN `updated_at`. Every id is in exactly one of the two.
 * The state topic's records are unchanged (this is only how they are held in memory).
 */

/** Slots per page (a power of two): the first page grows up to it, then pages of this size are added. */
const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE - 1;
const FIRST_PAGE = 16;
/** Bytes of a content hash: sha256 (43 base64url characters). */
const HASH_BYTES = 32;
const HASH_CHARS = 43;
const MAX_LOAD = 0.7;

/** The value of each base64url character, -1 for any other. */
const B64 = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  .split('')
  .forEach((c, i) => (B64[c.charCodeAt(0)] = i));

/** The value of each lowercase hex digit, -1 for any other (uppercase would not come back as written). */
const HEX = new Int8Array(128).fill(-1);
'0123456789abcdef'.split('').forEach((c, i) => (HEX[c.charCodeAt(0)] = i));

interface Page {
  /** The id of each slot: three 32-bit words (hex: big-endian 4-byte groups; decimal: low, high, 0). */
  words: Uint32Array;
  /** The kind of each slot's id: HEX24, DECIMAL (src/capture/id-set.ts), or 0 when the slot is free. */
  kinds: Uint8Array;
  /** `updated_at` of each slot, NaN for null. */
  times: Float64Array;
  /** The 32 digest bytes of each slot's content hash. */
  hashes: Uint8Array;
}

function newPage(slots: number): Page {
  return {
    words: new Uint32Array(slots * 3),
    kinds: new Uint8Array(slots),
    times: new Float64Array(slots),
    hashes: new Uint8Array(slots * HASH_BYTES),
  };
}

/** One stream's objects: what a `Map<string, ObjectState>` would answer, held compactly (see above). */
export class ObjectTable {
  private pages: Page[] = [newPage(FIRST_PAGE)];
  /** Slots ever handed out (free ones included); the next new slot is this one. */
  private slots = 0;
  /** The first free slot, -1 when none; each free slot's first id word holds the next one + 1. */
  private free = -1;
  private index = new Int32Array(16);
  private mask = 15;
  /** Live compact objects. */
  private live = 0;
  private readonly overflow = new Map<string, ObjectState>();

  /** The id being looked up, parsed by `parse*` (kind 0: not a compact id). */
  private kind = 0;
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;

  /** How many objects the table holds. */
  get size(): number {
    return this.live + this.overflow.size;
  }

  /** An estimate of the bytes the table holds (typed arrays exactly, the overflow map roughly). */
  bytes(): number {
    let n = this.index.byteLength;
    for (const p of this.pages)
      n += p.words.byteLength + p.kinds.byteLength + p.times.byteLength + p.hashes.byteLength;
    for (const [id, s] of this.overflow) n += 160 + 2 * (id.length + s.h.length);
    return n;
  }

  /** The state of `id`, a fresh object on each call (callers only read it), or undefined. */
  get(id: string): ObjectState | undefined {
    if (this.parseId(id)) {
      const slot = this.find();
      if (slot >= 0) return this.stateAt(slot);
    }
    return this.overflow.get(id);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Records `state` for `id`, replacing what was there. */
  set(id: string, state: ObjectState): void {
    const compactId = this.parseId(id);
    if (compactId && isCompactState(state)) {
      if (this.overflow.size > 0) this.overflow.delete(id);
      this.store(this.slotFor(), state.u, state.h);
      return;
    }
    if (compactId) this.remove();
    this.overflow.set(id, state);
  }

  /** Forgets `id`; whether it was there. */
  delete(id: string): boolean {
    if (this.parseId(id) && this.remove()) return true;
    return this.overflow.delete(id);
  }

  /**
   * Applies one state record given as bytes when it is of the usual shape: a compact id (`key` from
   * `idStart` to its end) and either no value (a tombstone) or `{"v":1,"u":<digits or null>,"h":"<hash>"}`.
   * Returns false, having changed nothing, for anything else (then the caller applies it through
   * `set`/`delete`). Restores ten million records without a string or object per record.
   */
  applyBytes(key: Buffer, idStart: number, value: Buffer | null): boolean {
    if (!this.parseIdBytes(key, idStart)) return false;
    if (value === null) {
      if (!this.remove() && this.overflow.size > 0) this.overflow.delete(key.toString('utf8', idStart));
      return true;
    }
    // {"v":1,"u":
    const n = value.length;
    if (n < 58 || value.readUInt32BE(0) !== 0x7b22_7622 || value.readUInt32BE(4) !== 0x3a31_2c22)
      return false;
    if (value[8] !== 0x75 || value[9] !== 0x22 || value[10] !== 0x3a) return false;
    let i = 11;
    let u: number | null;
    if (value[i] === 0x6e) {
      if (value[i + 1] !== 0x75 || value[i + 2] !== 0x6c || value[i + 3] !== 0x6c) return false;
      u = null;
      i += 4;
    } else {
      const start = i;
      u = 0;
      for (let c = value[i]!; c >= 0x30 && c <= 0x39; c = value[++i]!) u = u * 10 + (c - 0x30);
      // at most 15 digits (exact in a double), no leading zero
      if (i === start || i - start > 15 || (value[start] === 0x30 && i - start > 1)) return false;
    }
    // ,"h":"<43>"}
    if (n !== i + 6 + HASH_CHARS + 2) return false;
    if (value.readUInt32BE(i) !== 0x2c22_6822 || value[i + 4] !== 0x3a || value[i + 5] !== 0x22) return false;
    if (value[n - 2] !== 0x22 || value[n - 1] !== 0x7d) return false;
    const h = i + 6;
    if (!validHashBytes(value, h)) return false;
    if (this.overflow.size > 0) this.overflow.delete(key.toString('utf8', idStart));
    const slot = this.slotFor();
    const page = this.pages[slot >>> PAGE_BITS]!;
    const at = slot & PAGE_MASK;
    page.times[at] = u === null ? NaN : u;
    decodeHash(value, h, page.hashes, at * HASH_BYTES);
    return true;
  }

  /** Every id held, once each (compact ones in slot order, then the others); ids set or forgotten
   * during the iteration may or may not be visited. */
  *keys(): IterableIterator<string> {
    for (let slot = 0; slot < this.slots; slot++) {
      const page = this.pages[slot >>> PAGE_BITS]!;
      const at = slot & PAGE_MASK;
      const kind = page.kinds[at]!;
      if (kind !== 0) yield idText(kind, page.words, at * 3);
    }
    yield* this.overflow.keys();
  }

  // --- the compact part -------------------------------------------------------------------------------

  /** Parses `id` into kind/w0/w1/w2; false (kind 0) when it has no compact form (parseCompactId). */
  private parseId(id: string): boolean {
    const kind = parseCompactId(id);
    if (kind === 0) {
      this.kind = 0;
      return false;
    }
    return this.setId(kind, PARSED[0]!, PARSED[1]!, PARSED[2]!);
  }

  /** parseId of the UTF-8 bytes of `key` from `start` to its end (the same answers for the same text). */
  private parseIdBytes(key: Buffer, start: number): boolean {
    this.kind = 0;
    const n = key.length - start;
    if (n === 24) {
      let w0 = 0;
      let w1 = 0;
      let w2 = 0;
      for (let i = 0; i < 24; i++) {
        const c = key[start + i]!;
        const d = c < 128 ? HEX[c]! : -1;
        if (d < 0) return false;
        if (i < 8) w0 = (w0 << 4) | d;
        else if (i < 16) w1 = (w1 << 4) | d;
        else w2 = (w2 << 4) | d;
      }
      return this.setId(HEX24, w0 >>> 0, w1 >>> 0, w2 >>> 0);
    }
    if (n <= 0 || n > 15 || (n > 1 && key[start] === 0x30)) return false;
    let v = 0;
    for (let i = start; i < key.length; i++) {
      const d = key[i]! - 0x30;
      if (d < 0 || d > 9) return false;
      v = v * 10 + d;
    }
    return this.setId(DECIMAL, v % 0x1_0000_0000, Math.floor(v / 0x1_0000_0000), 0);
  }

  private setId(kind: number, w0: number, w1: number, w2: number): true {
    this.kind = kind;
    this.w0 = w0;
    this.w1 = w1;
    this.w2 = w2;
    return true;
  }

  /** The slot of the parsed id, or -1. */
  private find(): number {
    const at = this.probe();
    return at < 0 ? -1 : this.index[at]! - 1;
  }

  /**
   * Where the parsed id is in the index: its position `i` (≥ 0, `index[i]` names its slot), or, when it
   * has none, `-(i + 1)` for the free position `i` it would take (linear probing from its hash).
   */
  private probe(): number {
    const { index, mask, kind, w0, w1, w2 } = this;
    for (let i = mix(kind, w0, w1, w2) & mask; ; i = (i + 1) & mask) {
      const e = index[i]!;
      if (e === 0) return -(i + 1);
      const slot = e - 1;
      const page = this.pages[slot >>> PAGE_BITS]!;
      const at = slot & PAGE_MASK;
      const w = at * 3;
      if (
        page.kinds[at] === kind &&
        page.words[w] === w0 &&
        page.words[w + 1] === w1 &&
        page.words[w + 2] === w2
      )
        return i;
    }
  }

  /** The slot of the parsed id, taken (and indexed) when it had none. */
  private slotFor(): number {
    const found = this.probe();
    if (found >= 0) return this.index[found]! - 1;
    const i = -found - 1;
    const { index, kind, w0, w1, w2 } = this;
    const slot = this.takeSlot();
    const page = this.pages[slot >>> PAGE_BITS]!;
    const at = slot & PAGE_MASK;
    page.kinds[at] = kind;
    page.words[at * 3] = w0;
    page.words[at * 3 + 1] = w1;
    page.words[at * 3 + 2] = w2;
    this.live++;
    if (this.live > this.index.length * MAX_LOAD) this.grow();
    else index[i] = slot + 1;
    return slot;
  }

  /** A free slot: the free list's first, or a new one (growing the storage). */
  private takeSlot(): number {
    if (this.free >= 0) {
      const slot = this.free;
      const page = this.pages[slot >>> PAGE_BITS]!;
      this.free = page.words[(slot & PAGE_MASK) * 3]! - 1;
      return slot;
    }
    const slot = this.slots++;
    const p = slot >>> PAGE_BITS;
    if (p === this.pages.length) this.pages.push(newPage(PAGE));
    else if ((slot & PAGE_MASK) * 3 >= this.pages[p]!.words.length) {
      // the first page, full below PAGE slots: double it
      const old = this.pages[0]!;
      const next = newPage(Math.min(PAGE, old.kinds.length * 2));
      next.words.set(old.words);
      next.kinds.set(old.kinds);
      next.times.set(old.times);
      next.hashes.set(old.hashes);
      this.pages[0] = next;
    }
    return slot;
  }

  /** Doubles the index and indexes every live slot again (the slot just taken included). */
  private grow(): void {
    const size = this.index.length * 2;
    const index = new Int32Array(size);
    const mask = size - 1;
    for (let slot = 0; slot < this.slots; slot++) {
      const page = this.pages[slot >>> PAGE_BITS]!;
      const at = slot & PAGE_MASK;
      const kind = page.kinds[at]!;
      if (kind === 0) continue;
      const w = at * 3;
      let i = mix(kind, page.words[w]!, page.words[w + 1]!, page.words[w + 2]!) & mask;
      while (index[i] !== 0) i = (i + 1) & mask;
      index[i] = slot + 1;
    }
    this.index = index;
    this.mask = mask;
  }

  /** Removes the parsed id from the index and frees its slot; whether it was there. */
  private remove(): boolean {
    const found = this.probe();
    if (found < 0) return false;
    const { index, mask } = this;
    let i = found;
    const slot = index[i]! - 1;
    // shift back the entries after i whose home is not in (i, j]
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const s = index[j]! - 1;
      const page = this.pages[s >>> PAGE_BITS]!;
      const at = s & PAGE_MASK;
      const w = at * 3;
      const home = mix(page.kinds[at]!, page.words[w]!, page.words[w + 1]!, page.words[w + 2]!) & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      index[i] = index[j]!;
      i = j;
    }
    index[i] = 0;
    const page = this.pages[slot >>> PAGE_BITS]!;
    const at = slot & PAGE_MASK;
    page.kinds[at] = 0;
    page.words[at * 3] = this.free + 1;
    this.free = slot;
    this.live--;
    return true;
  }

  private store(slot: number, u: number | null, h: string): void {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const at = slot & PAGE_MASK;
    page.times[at] = u === null ? NaN : u;
    const out = page.hashes;
    let o = at * HASH_BYTES;
    // 42 characters are 31.5 bytes: ten groups of four characters (3 bytes), then 3 characters (2 bytes)
    let k = 0;
    for (; k < 40; k += 4) {
      const v =
        (B64[h.charCodeAt(k)]! << 18) |
        (B64[h.charCodeAt(k + 1)]! << 12) |
        (B64[h.charCodeAt(k + 2)]! << 6) |
        B64[h.charCodeAt(k + 3)]!;
      out[o++] = v >>> 16;
      out[o++] = (v >>> 8) & 0xff;
      out[o++] = v & 0xff;
    }
    const v = (B64[h.charCodeAt(40)]! << 12) | (B64[h.charCodeAt(41)]! << 6) | B64[h.charCodeAt(42)]!;
    out[o++] = v >>> 10;
    out[o] = (v >>> 2) & 0xff;
  }

  private stateAt(slot: number): ObjectState {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const at = slot & PAGE_MASK;
    const t = page.times[at]!;
    const off = page.hashes.byteOffset + at * HASH_BYTES;
    const h = Buffer.from(page.hashes.buffer, off, HASH_BYTES).toString('base64url');
    return { u: Number.isNaN(t) ? null : t, h };
  }
}

/** Whether a state has a compact form: a non-NaN `updated_at` (or null) and the text of a 32-byte digest. */
function isCompactState(state: ObjectState): boolean {
  const { u, h } = state;
  if (u !== null && (typeof u !== 'number' || Number.isNaN(u))) return false;
  if (typeof h !== 'string' || h.length !== HASH_CHARS) return false;
  for (let i = 0; i < HASH_CHARS; i++) {
    const c = h.charCodeAt(i);
    if (c >= 128 || B64[c]! < 0) return false;
  }
  // the last character carries 4 bits of the digest: its 2 low bits must be 0 to come back as written
  return (B64[h.charCodeAt(HASH_CHARS - 1)]! & 3) === 0;
}

/** isCompactState's hash test, on the UTF-8 bytes of `buf` from `at`. */
function validHashBytes(buf: Buffer, at: number): boolean {
  for (let i = 0; i < HASH_CHARS; i++) {
    const c = buf[at + i]!;
    if (c >= 128 || B64[c]! < 0) return false;
  }
  return (B64[buf[at + HASH_CHARS - 1]!]! & 3) === 0;
}

/** Writes the 32 digest bytes of the (valid) hash text at `buf[at…]` to `out[o…]`. */
function decodeHash(buf: Buffer, at: number, out: Uint8Array, o: number): void {
  let k = at;
  for (let g = 0; g < 10; g++, k += 4) {
    const v =
      (B64[buf[k]!]! << 18) | (B64[buf[k + 1]!]! << 12) | (B64[buf[k + 2]!]! << 6) | B64[buf[k + 3]!]!;
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  const v = (B64[buf[k]!]! << 12) | (B64[buf[k + 1]!]! << 6) | B64[buf[k + 2]!]!;
  out[o++] = v >>> 10;
  out[o] = (v >>> 2) & 0xff;
}

/** The text of a compact id. */
function idText(kind: number, words: Uint32Array, w: number): string {
  if (kind === DECIMAL) return String(words[w + 1]! * 0x1_0000_0000 + words[w]!);
  return hex8(words[w]!) + hex8(words[w + 1]!) + hex8(words[w + 2]!);
}

function hex8(word: number): string {
  return word.toString(16).padStart(8, '0');
}

/** A 32-bit hash of a compact id (murmur3's mixing steps). */
function mix(kind: number, w0: number, w1: number, w2: number): number {
  let h = Math.imul(w0 ^ Math.imul(kind, 0x9e3779b1), 0xcc9e2d51);
  h = Math.imul((h << 15) | (h >>> 17), 0x1b873593) ^ w1;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) ^ w2;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
