import { latencyFromFlags } from '../../../src/cli/sim';
import { ConfigError } from '../../../src/errors';
import { LatencyModel, checkedLatency, delayProfile, sampleDelay } from '../../../src/sim/http/latency';
import { Rand } from '../../../src/sim/rng';

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
const share = (xs: number[], above: number): number => xs.filter((x) => x > above).length / xs.length;
const draws = (n: number, next: () => number): number[] => Array.from({ length: n }, next);

describe('simulator latency: the distribution', () => {
  it('a log-normal with the asked median and p99', () => {
    const rng = new Rand(42);
    const profile = delayProfile(300, 1500);
    const sample = (): number => sampleDelay(profile, rng.next(), rng.next());
    expect(median(draws(200, sample))).toBeGreaterThan(300 * 0.8);
    expect(median(draws(200, sample))).toBeLessThan(300 * 1.2);
    const many = draws(20_000, sample);
    expect(share(many, 1500)).toBeGreaterThan(0.006);
    expect(share(many, 1500)).toBeLessThan(0.015);
    expect(share(many, 600)).toBeGreaterThan(0.05); // a real tail, not a constant
    expect(Math.min(...many)).toBeGreaterThan(0);
  });

  it('without a tail every answer takes the median; 0 is no delay', () => {
    expect(sampleDelay(delayProfile(250), 0.3, 0.9)).toBe(250);
    expect(sampleDelay(delayProfile(250, 250), 0.01, 0.5)).toBe(250);
    expect(sampleDelay(delayProfile(0, 0), 0.5, 0.5)).toBe(0);
    expect(new LatencyModel(1, null).draw('get')).toBe(0);
    expect(new LatencyModel(1, { ms: 0 }).draw('search')).toBe(0);
  });

  it('is deterministic per seed', () => {
    const sequence = (seed: number): number[] => {
      const model = new LatencyModel(seed, { ms: 100, p99Ms: 400 });
      return draws(20, () => model.draw('get'));
    };
    expect(sequence(7)).toEqual(sequence(7));
    expect(sequence(7)).not.toEqual(sequence(8));
  });

  it('search pages use the search latency; its tail defaults to the GET tail shape', () => {
    const model = new LatencyModel(3, { ms: 100, p99Ms: 500, searchMs: 1000 });
    const gets = draws(2000, () => model.draw('get'));
    const searches = draws(2000, () => model.draw('search'));
    expect(median(gets)).toBeGreaterThan(80);
    expect(median(gets)).toBeLessThan(120);
    expect(median(searches)).toBeGreaterThan(800);
    expect(median(searches)).toBeLessThan(1200);
    // Same ratio p99/median as GETs: about 1 % above 5,000 ms, many above 2,000 ms.
    expect(share(searches, 5000)).toBeLessThan(0.025);
    expect(share(searches, 2000)).toBeGreaterThan(0.05);

    const untailed = new LatencyModel(3, { ms: 100, searchMs: 900, searchP99Ms: 900 });
    expect(untailed.draw('search')).toBe(900);
    expect(untailed.draw('get')).toBe(100);
    const defaulted = new LatencyModel(3, { ms: 200 });
    expect(defaulted.draw('search')).toBe(200);
  });

  it('setting null turns it off, and options() tells what is set', () => {
    const model = new LatencyModel(1, { ms: 50 });
    expect(model.options()).toEqual({ ms: 50 });
    model.set(null);
    expect(model.options()).toBeNull();
    expect(model.draw('get')).toBe(0);
  });
});

describe('simulator latency: validation', () => {
  const problems = (run: () => unknown): readonly string[] => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error('expected a ConfigError');
  };

  it('refuses negative or non-numeric values and a p99 under its median, naming the key', () => {
    expect(problems(() => checkedLatency({ ms: -1 }))).toEqual([
      'latency.ms must be a non-negative number of ms (got -1)',
    ]);
    expect(problems(() => checkedLatency({ ms: NaN, searchMs: Infinity })).length).toBe(2);
    expect(problems(() => checkedLatency({ ms: 300, p99Ms: 200 }))[0]).toMatch(/latency\.p99Ms \(200\)/);
    expect(problems(() => checkedLatency({ ms: 100, searchMs: 900, searchP99Ms: 500 }))[0]).toMatch(
      /latency\.searchP99Ms/,
    );
    expect(problems(() => new LatencyModel(1, { ms: 100, p99Ms: 50 }))[0]).toMatch(/p99Ms/);
    expect(checkedLatency({ ms: 100, p99Ms: 100, searchMs: 0 })).toEqual({
      ms: 100,
      p99Ms: 100,
      searchMs: 0,
    });
  });

  it('the sim command flags: numbers, p99 ≥ median, 0 = unset', () => {
    const flags = (f: Partial<Record<string, string>>) => ({
      latencyMs: '0',
      latencyP99Ms: '0',
      searchLatencyMs: '0',
      searchLatencyP99Ms: '0',
      ...f,
    });
    expect(latencyFromFlags(flags({}))).toBeNull();
    expect(
      latencyFromFlags(flags({ latencyMs: '300', latencyP99Ms: '1500', searchLatencyMs: '900' })),
    ).toEqual({
      ms: 300,
      p99Ms: 1500,
      searchMs: 900,
    });
    expect(latencyFromFlags(flags({ searchLatencyMs: '900' }))).toEqual({ ms: 0, searchMs: 900 });
    expect(problems(() => latencyFromFlags(flags({ latencyMs: 'abc' })))).toEqual([
      '--latency-ms must be a non-negative number of ms (got "abc")',
    ]);
    expect(problems(() => latencyFromFlags(flags({ latencyP99Ms: '-5', searchLatencyMs: '' }))).length).toBe(
      2,
    );
    expect(problems(() => latencyFromFlags(flags({ latencyMs: '300', latencyP99Ms: '100' })))[0]).toMatch(
      /--latency-p99-ms \(100\) must be at least --latency-ms \(300\)/,
    );
    expect(
      problems(() => latencyFromFlags(flags({ latencyMs: '300', searchLatencyP99Ms: '200' })))[0],
    ).toMatch(/--search-latency-p99-ms \(200\) must be at least the search median \(300\)/);
  });
});
