import { ConfigError } from '../../errors';
import { Rand, hash32 } from '../rng';
import type { LatencyOptions } from '../types';

/** The standard normal quantile of 0.99: a log-normal's p99 is median · exp(σ · Z99). */
const Z99 = 2.3263478740408408;

/** One kind of answer's delay distribution: log-normal with this median (ms) and σ (0 = constant). */
export interface DelayProfile {
  medianMs: number;
  sigma: number;
}

export type AnswerKind = 'get' | 'search';

/** Median and p99 → the log-normal profile (p99 equal to the median, or absent: no tail). */
export function delayProfile(medianMs: number, p99Ms: number = medianMs): DelayProfile {
  if (medianMs === 0) return { medianMs: 0, sigma: 0 };
  return { medianMs, sigma: Math.log(p99Ms / medianMs) / Z99 };
}

/**
 * One draw of a profile from two uniform numbers in [0, 1) (Box–Muller): median · exp(σ · N(0, 1)),
 * in ms. Pure, so the distribution is testable without timers.
 */
export function sampleDelay(profile: DelayProfile, u1: number, u2: number): number {
  if (profile.medianMs === 0) return 0;
  if (profile.sigma === 0) return profile.medianMs;
  const normal = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  return profile.medianMs * Math.exp(profile.sigma * normal);
}

/**
 * Checks latency options: every value a finite, non-negative number of ms, each p99 at least its
 * median. Throws a ConfigError naming each bad key (`latency.p99Ms` …).
 */
export function checkedLatency(options: LatencyOptions): LatencyOptions {
  const problems: string[] = [];
  const keys = ['ms', 'p99Ms', 'searchMs', 'searchP99Ms'] as const;
  for (const key of keys) {
    const value = options[key];
    if (value === undefined && key !== 'ms') continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      problems.push(`latency.${key} must be a non-negative number of ms (got ${String(value)})`);
  }
  if (problems.length === 0) {
    if (options.p99Ms !== undefined && options.p99Ms < options.ms)
      problems.push(`latency.p99Ms (${options.p99Ms}) must be at least latency.ms (${options.ms})`);
    const searchMs = options.searchMs ?? options.ms;
    if (options.searchP99Ms !== undefined && options.searchP99Ms < searchMs)
      problems.push(
        `latency.searchP99Ms (${options.searchP99Ms}) must be at least the search median (${searchMs})`,
      );
  }
  if (problems.length > 0) throw new ConfigError(`sim: ${problems.join('; ')}`, problems);
  return { ...options };
}

/**
 * The delay the simulator adds to each answer, drawn from a generator seeded by the workspace seed
 * (same seed and same order of requests → same delays). GET-like answers use `ms`/`p99Ms`; search
 * pages use `searchMs` (default `ms`) and `searchP99Ms` (default: `searchMs` with the GET tail's shape,
 * i.e. the same ratio p99/median). Off (0 ms) until set.
 */
export class LatencyModel {
  private readonly rng: Rand;
  private profiles: Record<AnswerKind, DelayProfile> = {
    get: delayProfile(0),
    search: delayProfile(0),
  };
  private current: LatencyOptions | null = null;

  constructor(seed: number, options: LatencyOptions | null | undefined) {
    this.rng = new Rand(hash32(seed, 0x1a7e));
    this.set(options ?? null);
  }

  /** Replaces the latency (null: none); validated as `checkedLatency` says. */
  set(options: LatencyOptions | null): void {
    if (!options) {
      this.current = null;
      this.profiles = { get: delayProfile(0), search: delayProfile(0) };
      return;
    }
    const checked = checkedLatency(options);
    const get = delayProfile(checked.ms, checked.p99Ms);
    const searchMs = checked.searchMs ?? checked.ms;
    const search =
      checked.searchP99Ms !== undefined
        ? delayProfile(searchMs, checked.searchP99Ms)
        : { medianMs: searchMs, sigma: get.sigma };
    this.current = checked;
    this.profiles = { get, search };
  }

  options(): LatencyOptions | null {
    return this.current && { ...this.current };
  }

  /** The delay of the next answer of this kind, ms (0 when latency is off). */
  draw(kind: AnswerKind): number {
    const profile = this.profiles[kind];
    if (profile.medianMs === 0) return 0;
    return sampleDelay(profile, this.rng.next(), this.rng.next());
  }
}
