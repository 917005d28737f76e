/**
 * A set of object ids at a small cost per id: what a signalled snapshot keeps of the objects it has
 * republished (signals.ts), which may be every contact of a workspace of millions. A `Set<string>` costs
 * about 80–100 bytes per id (an entry and a string); here an id of the shapes Intercom uses almost
 * everywhere (24 lowercase hex digits, or a decimal number without leading zeros below 2^53) is three
 * 32-bit words and a byte in an open-addressing table (linear probing, at most 70 % full): 13 bytes a
 * slot, 19–37 bytes an id. Any other id is kept exactly in a `Set<string>` beside it. Only `add`, `has`
 * and `size`: ids are never removed (the set lives as long as its signal).
 */
export class IdSet {
  private words: Uint32Array;
  /** 0: a free slot; else the kind of the id in it. */
  private kinds: Uint8Array;
  private compact = 0;
  private readonly others = new Set<string>();

  constructor(ids: Iterable<string> = []) {
    this.words = new Uint32Array(3 * INITIAL_SLOTS);
    this.kinds = new Uint8Array(INITIAL_SLOTS);
    for (const id of ids) this.add(id);
  }

  get size(): number {
    return this.compact + this.others.size;
  }

  has(id: string): boolean {
    const kind = parseCompactId(id);
    if (kind === 0) return this.others.has(id);
    return this.kinds[this.find(kind)] !== 0;
  }

  add(id: string): this {
    const kind = parseCompactId(id);
    if (kind === 0) {
      this.others.add(id);
      return this;
    }
    const slot = this.find(kind);
    if (this.kinds[slot] !== 0) return this;
    this.put(slot, kind);
    if (this.compact > this.kinds.length * MAX_LOAD) this.grow();
    return this;
  }

  /** The slot holding the id in PARSED, or the free slot where it would go. */
  private find(kind: number): number {
    const w0 = PARSED[0]!;
    const w1 = PARSED[1]!;
    const w2 = PARSED[2]!;
    const mask = this.kinds.length - 1;
    let slot = hashOf(kind, w0, w1, w2) & mask;
    for (;;) {
      const k = this.kinds[slot];
      if (k === 0) return slot;
      const at = 3 * slot;
      if (k === kind && this.words[at] === w0 && this.words[at + 1] === w1 && this.words[at + 2] === w2)
        return slot;
      slot = (slot + 1) & mask;
    }
  }

  /** Puts the id in PARSED into `slot`. */
  private put(slot: number, kind: number): void {
    this.kinds[slot] = kind;
    this.words.set(PARSED, 3 * slot);
    this.compact += 1;
  }

  private grow(): void {
    const { words, kinds } = this;
    this.words = new Uint32Array(words.length * 2);
    this.kinds = new Uint8Array(kinds.length * 2);
    this.compact = 0;
    for (let slot = 0; slot < kinds.length; slot++) {
      const kind = kinds[slot]!;
      if (kind === 0) continue;
      PARSED.set(words.subarray(3 * slot, 3 * slot + 3));
      this.put(this.find(kind), kind);
    }
  }
}

/** Kinds of compact id (0: none). */
export const HEX24 = 1;
export const DECIMAL = 2;
/** 15 digits stay below 2^53: every such number is exact as a double. */
const MAX_DECIMAL_DIGITS = 15;

/** The three 32-bit words of the id {@link parseCompactId} parsed last (valid until its next call). */
export const PARSED = new Uint32Array(3);

/**
 * The compact form of an id, shared by this set and the state's object table (src/kafka/object-table.ts):
 * 24 lowercase hex digits as their 12 bytes in three big-endian words (HEX24), or a decimal number
 * without leading zeros of at most 15 digits as its low and high 32 bits (DECIMAL). Writes the words
 * into {@link PARSED} and returns the kind, or 0 (PARSED unchanged) when `id` has neither shape, so that
 * the id comes back exactly as written from its kind and words.
 */
export function parseCompactId(id: string): number {
  const n = id.length;
  if (n === 24) {
    let w0 = 0;
    let w1 = 0;
    let w2 = 0;
    for (let i = 0; i < 24; i++) {
      const c = id.charCodeAt(i);
      const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (v < 0) return 0;
      if (i < 8) w0 = (w0 << 4) | v;
      else if (i < 16) w1 = (w1 << 4) | v;
      else w2 = (w2 << 4) | v;
    }
    PARSED[0] = w0;
    PARSED[1] = w1;
    PARSED[2] = w2;
    return HEX24;
  }
  if (n === 0 || n > MAX_DECIMAL_DIGITS || (n > 1 && id.charCodeAt(0) === 48)) return 0;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return 0;
    value = value * 10 + (c - 48);
  }
  PARSED[0] = value % 2 ** 32;
  PARSED[1] = Math.floor(value / 2 ** 32);
  PARSED[2] = 0;
  return DECIMAL;
}
const INITIAL_SLOTS = 16;
const MAX_LOAD = 0.7;

function hashOf(kind: number, w0: number, w1: number, w2: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ w1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ w2, 0x27d4eb2f);
  return (h ^ (h >>> 15) ^ kind) >>> 0;
}
