import { retryingKafka } from '../../../src/kafka/read-to-end';

describe('retryingKafka', () => {
  it('retries retriable errors until the call succeeds', async () => {
    let calls = 0;
    const result = await retryingKafka(async () => {
      calls++;
      if (calls < 3) throw Object.assign(new Error('not the leader'), { retriable: true });
      return 'ok';
    });
    expect({ result, calls }).toEqual({ result: 'ok', calls: 3 });
  });

  it('throws other errors at once, and retriable ones after the last attempt', async () => {
    let calls = 0;
    const fatal = () => {
      calls++;
      return Promise.reject(Object.assign(new Error('denied'), { retriable: false }));
    };
    await expect(retryingKafka(fatal)).rejects.toThrow('denied');
    expect(calls).toBe(1);
    calls = 0;
    const flaky = () => {
      calls++;
      return Promise.reject(Object.assign(new Error('still no leader'), { retriable: true }));
    };
    await expect(retryingKafka(flaky, 2)).rejects.toThrow('still no leader');
    expect(calls).toBe(2);
  });
});
