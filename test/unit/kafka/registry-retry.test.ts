import { Registry } from '../../../src/kafka/registry';
import { closedPort } from '../../helpers/net';

describe('Registry.registerSubject while the registry is down', () => {
  it('waits with backoff up to retryForMs, then gives up with registry_unavailable, no longer retriable', async () => {
    let now = 0;
    const waits: number[] = [];
    const retries: number[] = [];
    const registry = new Registry({
      url: `http://127.0.0.1:${await closedPort()}`,
      retryForMs: 60_000,
      clock: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
      onRetry: (e) => retries.push(e.attempt),
    });
    try {
      const error = await registry.registerSubject('t-value', { type: 'string' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'registry_unavailable', kind: 'transient', retriable: false });
      expect((error as Error & { cause: { code: string } }).cause.code).toBe('registry_unreachable');
      expect(waits.length).toBeGreaterThan(1);
      expect(waits.every((ms) => ms <= 30_000)).toBe(true);
      expect(waits.reduce((a, b) => a + b, 0)).toBeLessThan(60_000);
      expect(retries).toEqual(waits.map((_, i) => i + 1));
    } finally {
      registry.close();
    }
  });

  it('fails at once with retryForMs 0', async () => {
    const waits: number[] = [];
    const registry = new Registry({
      url: `http://127.0.0.1:${await closedPort()}`,
      retryForMs: 0,
      sleep: async (ms) => void waits.push(ms),
    });
    try {
      await expect(registry.registerSubject('t-value', { type: 'string' })).rejects.toMatchObject({
        code: 'registry_unreachable',
        retriable: true,
      });
      expect(waits).toEqual([]);
    } finally {
      registry.close();
    }
  });
});
