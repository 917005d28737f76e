import { dayRange, startOfDay } from '../../../src/sim/timezone';

const sec = (iso: string): number => Date.parse(iso) / 1000;

describe('calendar days in a timezone', () => {
  it('UTC days start at midnight UTC', () => {
    expect(dayRange(sec('2026-01-05T09:00:00Z'), 'UTC')).toEqual([
      sec('2026-01-05T00:00:00Z'),
      sec('2026-01-06T00:00:00Z'),
    ]);
  });

  it('a day in Los Angeles starts at 08:00 UTC in winter', () => {
    expect(startOfDay(sec('2026-01-05T07:59:59Z'), 'America/Los_Angeles')).toBe(sec('2026-01-04T08:00:00Z'));
    expect(startOfDay(sec('2026-01-05T08:00:00Z'), 'America/Los_Angeles')).toBe(sec('2026-01-05T08:00:00Z'));
  });

  it('handles half-hour offsets and DST days of 23 and 25 hours', () => {
    expect(startOfDay(sec('2026-01-05T02:00:00Z'), 'Asia/Kolkata')).toBe(sec('2026-01-04T18:30:00Z'));
    const [springStart, springEnd] = dayRange(sec('2026-03-08T12:00:00Z'), 'America/New_York');
    expect((springEnd - springStart) / 3600).toBe(23);
    const [fallStart, fallEnd] = dayRange(sec('2026-11-01T12:00:00Z'), 'America/New_York');
    expect((fallEnd - fallStart) / 3600).toBe(25);
  });
});
