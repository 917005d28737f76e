import { getEventListeners } from 'node:events';
import { consumerLifetime } from '../../../src/kafka/lifetime';

describe('consumerLifetime', () => {
  it('ends when the run stops, at once when it already did', async () => {
    const stop = new AbortController();
    const { ended } = consumerLifetime(stop.signal);
    stop.abort();
    await expect(ended).resolves.toBeUndefined();
    await expect(consumerLifetime(stop.signal).ended).resolves.toBeUndefined();
  });

  it('fails with the first failure, and leaves no listener on the signal', async () => {
    const stop = new AbortController();
    const { ended, fail } = consumerLifetime(stop.signal);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    fail(new Error('crashed'));
    fail(new Error('later'));
    await expect(ended).rejects.toThrow('crashed');
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });
});
