import { MappingError } from './errors';

/**
 * Numbers with an absolute value of at least 1e11 are Unix milliseconds, smaller ones Unix seconds.
 * 1e11 seconds is the year 5138 and 1e11 milliseconds is 1973-03-03, so every date Intercom can hold
 * is told apart correctly, except millisecond values before March 1973 (read as seconds).
 */
export const MILLIS_THRESHOLD = 1e11;

/** The range of a JavaScript Date: ±100,000,000 days around the epoch, in milliseconds. */
const MAX_EPOCH_MS = 8.64e15;
const MS_PER_DAY = 86_400_000;

const NUMERIC = /^[+-]?\d+(?:\.\d+)?$/;
/** ISO 8601 / RFC 3339, strictly: a calendar date, optionally a time (seconds and fraction optional) and an
 * offset (`Z`, `±hh`, `±hhmm`, `±hh:mm`). Date-only and time without offset are UTC. */
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

const EXPECTED =
  'expected a timestamp (Unix seconds or milliseconds, as a number or numeric string, or ISO 8601)';

/**
 * Normalizes any timestamp form Intercom uses to epoch milliseconds (rounded to the nearest
 * millisecond; ISO fractions below the millisecond are cut). `null` and `undefined` give `null`.
 * Anything else that is not a timestamp (garbage strings, booleans, objects, NaN, Infinity, dates
 * outside the Date range, impossible calendar dates) throws a MappingError naming `path` and the value.
 */
export function toEpochMillis(value: unknown, path: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return fromNumber(value, path, value);
  if (typeof value === 'string') {
    if (NUMERIC.test(value)) return fromNumber(Number(value), path, value);
    const iso = fromIso(value);
    if (iso !== null) return inRange(iso, path, value);
  }
  throw new MappingError(path, EXPECTED, value);
}

function fromNumber(n: number, path: string, original: unknown): number {
  if (!Number.isFinite(n)) throw new MappingError(path, EXPECTED, original);
  const ms = Math.round(Math.abs(n) >= MILLIS_THRESHOLD ? n : n * 1000);
  return inRange(ms === 0 ? 0 : ms, path, original);
}

function inRange(ms: number, path: string, original: unknown): number {
  if (Math.abs(ms) > MAX_EPOCH_MS)
    throw new MappingError(path, 'timestamp out of the representable range', original);
  return ms;
}

/** Epoch milliseconds of a strict ISO 8601 string, or null when the string is not one (or names an
 * impossible date or time such as February 30 or 24:00). */
function fromIso(text: string): number | null {
  const m = ISO_8601.exec(text);
  if (m === null) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const millis = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const offsetMinutes =
    m[9] === undefined ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11] ?? 0));
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    Number(m[10] ?? 0) <= 23 &&
    Number(m[11] ?? 0) <= 59;
  if (!valid) return null;
  const timeOfDay = ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
  return daysFromCivil(year, month, day) * MS_PER_DAY + timeOfDay;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; exact for every year,
 * unlike Date.UTC, which maps years 0–99 to 1900–1999). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}
