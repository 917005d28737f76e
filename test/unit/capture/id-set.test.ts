import { IdSet } from '../../../src/capture/id-set';
import { seededRandom } from '../../helpers/random';

/** Ids of every shape Intercom uses, and some it does not, near-twins of the compact shapes included. */
function idOf(rnd: () => number): string {
  const hex = (n: number) =>
    Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');
  const shapes = [
    () => hex(24),
    () => hex(24),
    () => String(Math.floor(rnd() * 1e6)),
    () => String(Math.floor(rnd() * 2 ** 53)),
    () => String(Math.floor(rnd() * 1e15)),
    () => hex(24).toUpperCase(),
    () => `0${Math.floor(rnd() * 1000)}`,
    () => hex(23),
    () => `${hex(23)}g`,
    () => String(Math.floor(rnd() * 1e6) + 1e15), // 16 digits: kept as text
    () => 'user.name',
    () => '',
    () => `-${Math.floor(rnd() * 100)}`,
  ];
  return shapes[Math.floor(rnd() * shapes.length)]!();
}

describe('IdSet', () => {
  it.each([1, 2, 3])('answers as a Set does for ids of every shape (seed %i)', (seed) => {
    const rnd = seededRandom(seed);
    const set = new IdSet();
    const model = new Set<string>();
    const pool: string[] = [];
    for (let step = 0; step < 8_000; step++) {
      const id = pool.length > 0 && rnd() < 0.3 ? pool[Math.floor(rnd() * pool.length)]! : idOf(rnd);
      pool.push(id);
      if (rnd() < 0.5) {
        set.add(id);
        model.add(id);
      }
      expect(set.has(id)).toBe(model.has(id));
      expect(set.size).toBe(model.size);
    }
    for (const id of pool) expect(set.has(id)).toBe(model.has(id));
    // Near-twins of what it holds are not in it.
    for (const id of model) {
      if (/^[0-9a-f]{24}$/.test(id)) expect(set.has(id.toUpperCase())).toBe(model.has(id.toUpperCase()));
      if (/^[1-9][0-9]*$/.test(id)) expect(set.has(`0${id}`)).toBe(model.has(`0${id}`));
    }
  });

  it('takes what it starts with, and holds a million hex ids in well under 40 MB', () => {
    const rnd = seededRandom(9);
    const ids = Array.from({ length: 1000 }, () => idOf(rnd));
    const set = new IdSet(ids);
    expect(set.size).toBe(new Set(ids).size);
    const big = new IdSet();
    for (let i = 0; i < 1_000_000; i++) big.add(i.toString(16).padStart(24, '0'));
    expect(big.size).toBe(1_000_000);
    const internals = big as unknown as { words: Uint32Array; kinds: Uint8Array };
    expect(internals.words.byteLength + internals.kinds.byteLength).toBeLessThan(40 * 2 ** 20);
    expect(big.has((999_999).toString(16).padStart(24, '0'))).toBe(true);
    expect(big.has((1_000_000).toString(16).padStart(24, '0'))).toBe(false);
  });
});
