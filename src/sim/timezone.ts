/**
 * Calendar days in an IANA timezone, for contact search: Intercom matches contact timestamps by the
 * day they fall on, in the workspace's timezone (or UTC, the later reading).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** Throws a RangeError for a name Intl does not know. */
export function assertTimezone(timezone: string): void {
  formatter(timezone);
}

/** Wall-clock parts of an instant (Unix seconds) in the timezone. */
function wall(sec: number, timezone: string): { y: number; m: number; d: number; offsetSec: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(new Date(sec * 1000))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc =
    Date.UTC(
      parts.year as number,
      (parts.month as number) - 1,
      parts.day,
      parts.hour,
      parts.minute,
      parts.second,
    ) / 1000;
  return {
    y: parts.year as number,
    m: parts.month as number,
    d: parts.day as number,
    offsetSec: asUtc - sec,
  };
}

/** Unix seconds of local midnight starting the day (in `timezone`) that contains `sec`. */
export function startOfDay(sec: number, timezone: string): number {
  const { y, m, d } = wall(sec, timezone);
  const midnightAsUtc = Date.UTC(y, m - 1, d) / 1000;
  // The offset at midnight may differ from the offset at `sec` (DST); two rounds settle it.
  let guess = midnightAsUtc - wall(sec, timezone).offsetSec;
  for (let i = 0; i < 2; i++) guess = midnightAsUtc - wall(guess, timezone).offsetSec;
  return guess;
}

/** [start, end) of the day containing `sec`, Unix seconds. Days are 23 to 25 hours long around DST. */
export function dayRange(sec: number, timezone: string): [number, number] {
  const start = startOfDay(sec, timezone);
  return [start, startOfDay(start + 36 * 3600, timezone)];
}
