import {
  WHOLE,
  addDone,
  remaining,
  sliceQuery,
  split,
  splitBack,
  splittable,
  unitOf,
} from '../../../src/capture/slices';

describe('slices of created_at', () => {
  it('cuts a slice into disjoint pieces whose union is the slice, open-ended slices keeping an open tail', () => {
    const now = 20_000;
    const pieces = split(WHOLE, 16, now);
    expect(pieces[0]!.a).toBe(-1);
    expect(pieces[pieces.length - 1]).toEqual({ a: now, b: null });
    for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.a).toBe(pieces[i - 1]!.b);
    expect(pieces.length).toBe(17);
    expect(split({ a: 10, b: 13 }, 16, now)).toEqual([
      { a: 10, b: 11 },
      { a: 11, b: 12 },
      { a: 12, b: 13 },
    ]);
    expect(splittable({ a: 10, b: 11 }, now)).toBe(false);
    expect(splittable({ a: now, b: null }, now)).toBe(false);
    expect(splittable({ a: now - 1, b: null }, now)).toBe(true);
  });

  it('queries whole days by noon UTC, so that consecutive slices meet in any timezone within ±11 h', () => {
    expect(sliceQuery({ a: 5, b: 9 }, 'day')).toEqual({
      operator: 'AND',
      value: [
        { field: 'created_at', operator: '>', value: 5 * 86_400 + 43_200 },
        { field: 'created_at', operator: '<', value: 10 * 86_400 + 43_200 },
      ],
    });
    expect(sliceQuery({ a: 100, b: null }, 'second')).toEqual({
      field: 'created_at',
      operator: '>',
      value: 100,
    });
    expect(sliceQuery({ a: 100, b: 200 }, 'second')).toEqual({
      operator: 'AND',
      value: [
        { field: 'created_at', operator: '>', value: 100 },
        { field: 'created_at', operator: '<', value: 201 },
      ],
    });
    expect(unitOf(86_400 * 3 + 5, 'day')).toBe(3);
  });

  it('remembers done slices as merged ranges and gives back exactly what is left', () => {
    let done = addDone([], { a: 10, b: 20 });
    done = addDone(done, { a: 30, b: null });
    done = addDone(done, { a: 20, b: 25 });
    expect(done).toEqual([
      [10, 25],
      [30, Number.MAX_SAFE_INTEGER],
    ]);
    expect(remaining(done)).toEqual([
      { a: -1, b: 10 },
      { a: 25, b: 30 },
    ]);
    expect(remaining([])).toEqual([WHOLE]);
  });
});

describe('the cut of a slice reaching back to the beginning', () => {
  it('doubles the pieces going back from now, covers (-1, ∞) without gaps, in days and in seconds', () => {
    for (const unit of ['day', 'second'] as const) {
      const now = unit === 'day' ? 20_500 : 20_500 * 86_400;
      const pieces = splitBack(WHOLE, now, unit);
      expect(pieces[0]!.a).toBe(-1);
      expect(pieces[pieces.length - 1]).toEqual({ a: now, b: null });
      for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.a).toBe(pieces[i - 1]!.b);
      const lengths = pieces.slice(1, -1).map((p) => p.b! - p.a);
      expect(lengths[lengths.length - 1]).toBe(unit === 'day' ? 1 : 86_400); // the last day
      expect(lengths[lengths.length - 2]).toBe(lengths[lengths.length - 1]); // then 1, 2, 4 … days back
      expect(lengths[lengths.length - 3]).toBe(2 * lengths[lengths.length - 1]);
      expect(pieces.length).toBeLessThan(20);
    }
    const gap = splitBack({ a: -1, b: 100 }, 20_500, 'day');
    expect(gap[0]!.a).toBe(-1);
    expect(gap[gap.length - 1]).toEqual({ a: 99, b: 100 });
  });
});
