import { backoffDelay } from '../../../src/intercom/backoff';

const policy = { minMs: 100, maxMs: 1000 };

describe('backoffDelay', () => {
  it('doubles per attempt between half and all of the ceiling', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 0.999999)).toBe(100);
    expect(backoffDelay(2, policy, () => 0)).toBe(100);
    expect(backoffDelay(3, policy, () => 0.999999)).toBe(400);
  });

  it('never exceeds the maximum, however many attempts', () => {
    for (let attempt = 1; attempt < 60; attempt += 1) {
      expect(backoffDelay(attempt, policy, () => 0.999999)).toBeLessThanOrEqual(1000);
      expect(backoffDelay(attempt, policy, () => 0)).toBeGreaterThanOrEqual(50);
    }
  });

  it('spreads clients that failed together', () => {
    const draws = [0.1, 0.5, 0.9].map((r) => backoffDelay(4, policy, () => r));
    expect(new Set(draws).size).toBe(3);
  });
});
