import { CdcError } from '../../../src/errors';
import { MappingError, MILLIS_THRESHOLD, toEpochMillis } from '../../../src/normalize';

describe('toEpochMillis', () => {
  it.each<[string, unknown, number]>([
    ['integer Unix seconds', 1734537424, 1734537424000],
    ['the epoch', 0, 0],
    ['decimal seconds', 1571672154.5, 1571672154500],
    ['decimal seconds, millisecond precision', 1571672154.123, 1571672154123],
    ['negative seconds (before 1970)', -86400, -86400000],
    ['Unix milliseconds', 1734537424123, 1734537424123],
    ['decimal milliseconds, rounded', 1734537424123.6, 1734537424124],
    ['the largest seconds value below the threshold', MILLIS_THRESHOLD - 1, (MILLIS_THRESHOLD - 1) * 1000],
    ['the threshold itself, as milliseconds', MILLIS_THRESHOLD, MILLIS_THRESHOLD],
    ['negative milliseconds', -1e11, -1e11],
    ['numeric string of seconds', '1734537424', 1734537424000],
    ['numeric string of milliseconds', '1734537424123', 1734537424123],
    ['numeric string of decimal seconds', '1571672154.25', 1571672154250],
    ['numeric string with a sign', '-86400', -86400000],
    ['ISO date only (UTC midnight)', '2024-05-01', Date.UTC(2024, 4, 1)],
    ['ISO with Z', '2024-05-01T10:20:30Z', Date.UTC(2024, 4, 1, 10, 20, 30)],
    ['ISO with lowercase separators', '2024-05-01t10:20:30z', Date.UTC(2024, 4, 1, 10, 20, 30)],
    ['ISO with a space separator', '2024-05-01 10:20:30Z', Date.UTC(2024, 4, 1, 10, 20, 30)],
    ['ISO with milliseconds', '2024-05-01T10:20:30.123Z', Date.UTC(2024, 4, 1, 10, 20, 30, 123)],
    [
      'ISO with nanoseconds (cut to ms)',
      '2024-05-01T10:20:30.123999999Z',
      Date.UTC(2024, 4, 1, 10, 20, 30, 123),
    ],
    ['ISO with a tenth of a second', '2024-05-01T10:20:30.5Z', Date.UTC(2024, 4, 1, 10, 20, 30, 500)],
    ['ISO with a comma fraction', '2024-05-01T10:20:30,25Z', Date.UTC(2024, 4, 1, 10, 20, 30, 250)],
    ['ISO with +hh:mm', '2024-05-01T12:20:30+02:00', Date.UTC(2024, 4, 1, 10, 20, 30)],
    ['ISO with -hhmm', '2024-05-01T05:20:30-0500', Date.UTC(2024, 4, 1, 10, 20, 30)],
    ['ISO with +hh', '2024-05-01T13:20:30+03', Date.UTC(2024, 4, 1, 10, 20, 30)],
    ['ISO with a half-hour offset', '2024-05-01T15:50:30+05:30', Date.UTC(2024, 4, 1, 10, 20, 30)],
    ['ISO with an offset crossing midnight', '2024-05-01T00:30:00+01:00', Date.UTC(2024, 3, 30, 23, 30)],
    ['ISO without offset (UTC)', '2024-05-01T10:20:30', Date.UTC(2024, 4, 1, 10, 20, 30)],
    ['ISO without seconds', '2024-05-01T10:20Z', Date.UTC(2024, 4, 1, 10, 20)],
    ['ISO on a leap day', '2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['ISO before 1970', '1969-07-20T20:17:40Z', Date.UTC(1969, 6, 20, 20, 17, 40)],
    ['ISO year below 100 (not 19xx)', '0099-12-31T00:00:00Z', new Date('0099-12-31T00:00:00Z').getTime()],
    ['ISO in year 2400 (leap)', '2400-02-29', new Date('2400-02-29T00:00:00Z').getTime()],
  ])('%s: %p', (_label, input, expected) => {
    expect(toEpochMillis(input, 'contacts.created_at')).toBe(expected);
  });

  it('returns null for null and absent values', () => {
    expect(toEpochMillis(null, 'contacts.last_seen_at')).toBeNull();
    expect(toEpochMillis(undefined, 'contacts.last_seen_at')).toBeNull();
  });

  it('gives +0, never -0, for values that round to zero', () => {
    expect(Object.is(toEpochMillis(-0.0001, 'x'), 0)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a garbage string', 'yesterday'],
    ['an empty string', ''],
    ['a number with spaces', ' 1734537424'],
    ['exponent notation', '1.7e9'],
    ['an RFC 2822 date (Date.parse accepts it)', 'Wed, 01 May 2024 10:20:30 GMT'],
    ['a US date', '05/01/2024'],
    ['a year and month only', '2024-05'],
    ['hour 24', '2024-05-01T24:00:00Z'],
    ['minute 60', '2024-05-01T10:60:00Z'],
    ['a leap second', '2024-06-30T23:59:60Z'],
    ['month 13', '2024-13-01'],
    ['February 30', '2024-02-30'],
    ['February 29 of a common year', '2023-02-29'],
    ['February 29 of 1900', '1900-02-29'],
    ['an offset of 25 hours', '2024-05-01T10:20:30+25:00'],
    ['an offset without time', '2024-05-01Z'],
    ['trailing garbage', '2024-05-01T10:20:30Zjunk'],
    ['true', true],
    ['false', false],
    ['an object', { seconds: 1734537424 }],
    ['an array', [1734537424]],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a huge number', 1e20],
    ['milliseconds beyond the Date range', 8.64e15 + 1],
    ['seconds beyond the Date range as a string', '99999999999999999999'],
    ['a bigint', BigInt(1734537424)],
  ])('rejects %s', (_label, input) => {
    let caught: unknown;
    try {
      toEpochMillis(input, 'conversations.statistics.first_contact_reply_at');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MappingError);
    expect(caught).toBeInstanceOf(CdcError);
    const error = caught as MappingError;
    expect(error.code).toBe('mapping_failed');
    expect(error.kind).toBe('system');
    expect(error.retriable).toBe(false);
    expect(error.path).toBe('conversations.statistics.first_contact_reply_at');
    expect(error.message).toContain('conversations.statistics.first_contact_reply_at');
  });

  it('shows the offending value in the message', () => {
    expect(() => toEpochMillis('yesterday', 'contacts.signed_up_at')).toThrow(
      /contacts\.signed_up_at: .*"yesterday"/,
    );
    expect(() => toEpochMillis(Number.NaN, 'contacts.signed_up_at')).toThrow(/got NaN$/);
    expect(() => toEpochMillis(true, 'contacts.signed_up_at')).toThrow(/got true$/);
  });

  it('cuts a long offending value to about 100 characters', () => {
    const long = `not a date ${'x'.repeat(5000)}`;
    let message = '';
    try {
      toEpochMillis(long, 'contacts.updated_at');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('"not a date xxx');
    expect(message).toContain('…');
    expect(message.length).toBeLessThan(300);
  });
});
