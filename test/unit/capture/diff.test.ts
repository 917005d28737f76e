import { decide, searchFilterValue, windowStart } from '../../../src/capture/diff';
import { DescendingWalk } from '../../../src/capture/walk';

describe('decide', () => {
  const prev = { u: 1_000_000, h: 'A' };
  it('publishes first sight as c, or r while snapshotting', () => {
    expect(decide(undefined, { updatedAtMs: 5, hash: 'x' }, { snapshot: false })).toEqual({
      publish: true,
      op: 'c',
    });
    expect(decide(undefined, { updatedAtMs: 5, hash: 'x' }, { snapshot: true })).toEqual({
      publish: true,
      op: 'r',
    });
  });
  it('publishes a newer updated_at as u', () => {
    expect(decide(prev, { updatedAtMs: 1_001_000, hash: 'B' }, { snapshot: false })).toEqual({
      publish: true,
      op: 'u',
    });
  });
  it('drops what the overlap re-reads, and stale copies from a lagging index', () => {
    expect(decide(prev, { updatedAtMs: 1_000_000, hash: 'A' }, { snapshot: false })).toEqual({
      publish: false,
      reason: 'unchanged',
    });
    expect(decide(prev, { updatedAtMs: 999_000, hash: 'Z' }, { snapshot: false })).toEqual({
      publish: false,
      reason: 'stale',
    });
  });
  it('publishes a same-second change with other content', () => {
    expect(decide(prev, { updatedAtMs: 1_000_000, hash: 'B' }, { snapshot: false })).toEqual({
      publish: true,
      op: 'u',
    });
  });
  it('diffs untimed objects by hash', () => {
    const p = { u: null, h: 'A' };
    expect(decide(p, { updatedAtMs: null, hash: 'A' }, { snapshot: false }).publish).toBe(false);
    expect(decide(p, { updatedAtMs: null, hash: 'B' }, { snapshot: false })).toEqual({
      publish: true,
      op: 'u',
    });
  });
  it('republishes everything as r under force', () => {
    expect(decide(prev, { updatedAtMs: 1_000_000, hash: 'A' }, { snapshot: true, force: true })).toEqual({
      publish: true,
      op: 'r',
    });
  });
});

describe('search windows', () => {
  it('reaches back by the overlap', () => {
    expect(windowStart(10_000_000, 600_000)).toBe(9_400_000);
  });
  it('reaches back a day and two hours for day-granular contact search', () => {
    const start = Date.parse('2026-03-10T09:00:00Z');
    const value = searchFilterValue(start, true);
    expect(value * 1000).toBe(start - 26 * 3_600_000);
    // `> X` matches from the start of the day after X's day, in any timezone: that is before `start`.
    for (const offsetH of [-12, -8, 0, 5.5, 14]) {
      const local = value * 1000 + offsetH * 3_600_000;
      const nextLocalMidnight = Math.floor(local / 86_400_000) * 86_400_000 + 86_400_000;
      expect(nextLocalMidnight - offsetH * 3_600_000).toBeLessThanOrEqual(start);
    }
  });
  it('uses second precision (inclusive bounds) elsewhere', () => {
    expect(searchFilterValue(10_000_000, false)).toBe(9_999);
  });
});

describe('DescendingWalk', () => {
  it('stops once past the window while sorted', () => {
    const w = new DescendingWalk(100);
    [300, 200, 150].forEach((u) => w.see(u));
    expect(w.canStop).toBe(false);
    w.see(90);
    expect(w.canStop).toBe(true);
    expect(w.maxSeen).toBe(300);
  });
  it('never stops early when the API ignored the sort', () => {
    const w = new DescendingWalk(100);
    [300, 50, 400, 20].forEach((u) => w.see(u));
    expect(w.canStop).toBe(false);
    expect(w.maxSeen).toBe(400);
  });
});
