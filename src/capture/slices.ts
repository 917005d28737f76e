/**
 * Disjoint slices of a searchable stream by `created_at`, which does not change while a walk pages, so
 * that a snapshot, reconciliation or backfill can walk many slices at once (pure).
 *
 * A slice is `(a, b]` in whole units: seconds, or calendar days for contacts, whose search matches
 * timestamps by day. `b = null` is open-ended (everything created after `a`, the future included). The
 * whole stream is `(-1, null)`.
 *
 * Queries: `created_at > P(a)` and `created_at < P(b + 1)`, where P(x) is the start of second x, or noon
 * UTC of day x. Contact search compares dates by calendar day: `> P(a)` matches from the start of the
 * day after P(a)'s day and `< P(b+1)` before the start of P(b+1)'s day. With noon UTC, P(x)'s day is
 * day x in UTC and in every timezone within ±11 h of it, and day x + 1 (consistently for every x)
 * further east, so consecutive slices meet exactly whichever timezone the workspace's search counts
 * days in. For seconds, `>` and `<` are documented as inclusive and may be exclusive: either way
 * consecutive slices leave no gap (at worst they share a boundary second, and the diff drops the second
 * read).
 */
export type SliceUnit = 'day' | 'second';

export interface Slice {
  a: number;
  b: number | null;
}

export const WHOLE: Slice = { a: -1, b: null };

const DAY_S = 86_400;

/** The unit a Unix time (seconds) falls in. */
export function unitOf(seconds: number, unit: SliceUnit): number {
  return unit === 'day' ? Math.floor(seconds / DAY_S) : Math.floor(seconds);
}

function point(x: number, unit: SliceUnit): number {
  return unit === 'day' ? x * DAY_S + DAY_S / 2 : x;
}

/** The search query of a slice (one filter, or an AND of two). */
export function sliceQuery(slice: Slice, unit: SliceUnit): unknown {
  const after = { field: 'created_at', operator: '>', value: point(slice.a, unit) };
  if (slice.b === null) return after;
  const before = { field: 'created_at', operator: '<', value: point(slice.b + 1, unit) };
  return { operator: 'AND', value: [after, before] };
}

/** Whether a slice can be cut into smaller ones: it spans more than one unit up to `nowUnit`. */
export function splittable(slice: Slice, nowUnit: number): boolean {
  const end = slice.b ?? nowUnit;
  return end - slice.a > 1 || (slice.b === null && slice.a < nowUnit);
}

/**
 * The cut of a slice that reaches back to the beginning (the whole stream, or what a resumed snapshot
 * has left before its first done range), where nothing is known of how objects spread over time: pieces
 * that double in length going back from its end (the last day, the one before, the two before … in units
 * of a day), so that a workspace of any age and growth lands in a few pieces of a size to walk or to cut
 * evenly, and the empty decades before it cost one request each. An open-ended slice keeps its open tail.
 */
export function splitBack(slice: Slice, nowUnit: number, unit: SliceUnit): Slice[] {
  const day = unit === 'day' ? 1 : DAY_S;
  const end = slice.b ?? Math.max(slice.a, nowUnit);
  const out: Slice[] = slice.b === null ? [{ a: end, b: null }] : [];
  let b = end;
  for (let back = day; b > slice.a; back *= 2) {
    const a = Math.max(slice.a, end - back);
    out.unshift({ a, b });
    b = a;
  }
  return out;
}

/**
 * Cuts a slice into at most `parts` disjoint slices whose union is the slice. An open-ended slice keeps
 * an open-ended last piece after `nowUnit` (objects created from now on).
 */
export function split(slice: Slice, parts: number, nowUnit: number): Slice[] {
  const end = slice.b ?? Math.max(slice.a, nowUnit);
  const span = end - slice.a;
  const n = Math.max(1, Math.min(parts, span));
  const out: Slice[] = [];
  let from = slice.a;
  for (let i = 1; i <= n; i++) {
    const to = i === n ? end : slice.a + Math.floor((span * i) / n);
    if (to > from) out.push({ a: from, b: to });
    from = to;
  }
  if (slice.b === null) out.push({ a: end, b: null });
  return out;
}

/** Adds a completed slice to a sorted list of disjoint done ranges, merging neighbours. */
export function addDone(done: readonly [number, number][], slice: Slice): [number, number][] {
  const b = slice.b ?? Number.MAX_SAFE_INTEGER;
  const ranges = [...done, [slice.a, b] as [number, number]].sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [a, e] of ranges) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([a, e]);
  }
  return merged;
}

/** The slices of the whole stream not yet covered by `done` (sorted disjoint ranges). */
export function remaining(done: readonly [number, number][]): Slice[] {
  const out: Slice[] = [];
  let from = WHOLE.a;
  for (const [a, b] of done) {
    if (a > from) out.push({ a: from, b: a });
    from = Math.max(from, b);
  }
  if (from < Number.MAX_SAFE_INTEGER) out.push({ a: from, b: null });
  return out;
}
