/** Completeness (README, "Operations"): the counts Intercom reports against what was captured. */
import {
  PartsLedger,
  completenessData,
  completenessOf,
  countedParts,
  isComplete,
} from '../../../src/capture/completeness';
import { canonicalJson } from '../../../src/normalize';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('countedParts', () => {
  it("reads statistics.count_conversation_parts from a conversation's canonical JSON", () => {
    const json = canonicalJson({ id: '1', statistics: { count_reopens: 2, count_conversation_parts: 612 } });
    expect(countedParts(utf8(json))).toBe(612);
    expect(countedParts(utf8(canonicalJson({ statistics: { count_conversation_parts: 0 } })))).toBe(0);
  });

  it('says nothing when the count is absent or not a number', () => {
    expect(countedParts(utf8(canonicalJson({ id: '1', statistics: null })))).toBeUndefined();
    expect(
      countedParts(utf8(canonicalJson({ statistics: { count_conversation_parts: null } }))),
    ).toBeUndefined();
  });

  it('reads a view into a larger buffer at its offset', () => {
    const whole = Buffer.from(`xxxx${canonicalJson({ statistics: { count_conversation_parts: 7 } })}`);
    expect(countedParts(whole.subarray(4))).toBe(7);
  });
});

describe('PartsLedger', () => {
  it('keeps the parents a read carried fewer parts of than Intercom counts, until one carries them all', () => {
    const ledger = new PartsLedger();
    ledger.seen('b', 600, 500);
    ledger.seen('a', 3, 3);
    ledger.seen('c', 2, 1);
    ledger.seen('d', undefined, 4);
    expect(ledger.list(() => true)).toEqual([
      { id: 'b', counted: 600, captured: 500 },
      { id: 'c', counted: 2, captured: 1 },
    ]);
    ledger.seen('c', 2, 2);
    expect(ledger.list(() => true).map((g) => g.id)).toEqual(['b']);
    // A parent gone from the state is not named.
    expect(ledger.list((id) => id !== 'b')).toEqual([]);
  });
});

describe('completenessOf', () => {
  it('is the reported count less the held one, with the missing parts summed', () => {
    const c = completenessOf('conversations', 10, 9, [{ id: 'x', counted: 600, captured: 500 }]);
    expect(c).toEqual({
      stream: 'conversations',
      reported: 10,
      held: 9,
      gap: 1,
      partsGaps: [{ id: 'x', counted: 600, captured: 500 }],
      partsMissing: 100,
    });
    expect(isComplete(c)).toBe(false);
    expect(completenessData(c)).toEqual({
      stream: 'conversations',
      reported: '10',
      held: '9',
      gap: '1',
      parents_with_missing_parts: '1',
      parts_missing: '100',
      parents: 'x:600/500',
    });
  });

  it('is complete when nothing is missing, or the state holds more (deletes not yet seen), or nothing is reported', () => {
    expect(isComplete(completenessOf('contacts', 5, 5, []))).toBe(true);
    expect(isComplete(completenessOf('contacts', 5, 6, []))).toBe(true);
    const unknown = completenessOf('admins', null, 3, []);
    expect(unknown.gap).toBeNull();
    expect(isComplete(unknown)).toBe(true);
    expect(completenessData(unknown)).toMatchObject({ reported: 'unknown', gap: 'unknown' });
  });
});
