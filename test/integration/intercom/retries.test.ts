import { IntercomClient, IntercomError, StaticTokenProvider } from '../../../src/intercom';
import { collectIds, recordingObserver, rejectionOf, sorted } from './helpers';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 2, size: { contacts: 300 }, token: TOKEN }), {
  clearFaultsAfterEach: true,
});

const TOKEN = 'tok_retry_test';

function client(extra: Partial<ConstructorParameters<typeof IntercomClient>[0]> = {}): {
  client: IntercomClient;
  observer: ReturnType<typeof recordingObserver>;
} {
  const observer = recordingObserver();
  const c = new IntercomClient({
    baseUrl: sim.url,
    auth: new StaticTokenProvider(TOKEN),
    minBackoffMs: 10,
    maxBackoffMs: 50,
    timeoutMs: 1000,
    observer,
    ...extra,
  });
  return { client: c, observer };
}

const routeCount = (observer: ReturnType<typeof recordingObserver>, route: string): number =>
  observer.requests.filter((r) => r.route === route).length;

describe('retries against the simulator (real HTTP)', () => {
  it('retries 5xx bursts, resets, timeouts, truncated and malformed bodies and loses nothing', async () => {
    const match = { path: '/contacts/search' };
    sim.faults.add({ kind: 'status', status: 503, match, times: 3 });
    sim.faults.add({ kind: 'reset', match, times: 2 });
    sim.faults.add({ kind: 'timeout', match, times: 1 });
    sim.faults.add({ kind: 'truncated', match, times: 1 });
    sim.faults.add({ kind: 'malformed', match, times: 1 });
    sim.faults.add({ kind: 'status', status: 500, match, times: 1 });
    const { client: c, observer } = client({ retries: 10 }); // the faults all land on one page request
    const ids = await collectIds(
      c.searchPages(
        '/contacts/search',
        'data',
        { field: 'created_at', operator: '>', value: 0 },
        { perPage: 50 },
      ),
    );
    expect(ids).toHaveLength(300);
    expect(sorted(ids)).toEqual(sorted(sim.truth.ids('contacts')));
    expect(observer.retries).toHaveLength(9);
    // in fault order: a timeout is ECONNABORTED, a body cut off mid-way ERR_BAD_RESPONSE, bad JSON EMALFORMED
    expect(observer.retries.map((r) => r.reason)).toEqual([
      '503',
      '503',
      '503',
      'ECONNRESET',
      'ECONNRESET',
      'ECONNABORTED',
      'ERR_BAD_RESPONSE',
      'EMALFORMED',
      '500',
    ]);
  });

  it('gives up after the configured retries with a transient error', async () => {
    sim.faults.add({ kind: 'status', status: 503, match: { path: '/admins' }, times: Infinity });
    const { client: c, observer } = client({ retries: 2 });
    const error = await rejectionOf(c.unpaginated('/admins', 'admins'));
    expect(error).toBeInstanceOf(IntercomError);
    expect(error).toMatchObject({
      code: 'http_5xx',
      kind: 'transient',
      retriable: true,
      status: 503,
      route: '/admins',
    });
    expect(error.message).toMatch(/after 3 attempts/);
    expect(routeCount(observer, '/admins')).toBe(3);
  });

  it.each([
    [400, 'system', 'bad_request'],
    [401, 'config', 'unauthorized'],
    [403, 'config', 'forbidden'],
    [404, 'system', 'not_found'],
    [422, 'system', 'bad_request'],
  ] as const)('never retries %d', async (status, kind, code) => {
    sim.faults.add({ kind: 'status', status, match: { path: '/teams' }, times: 1 });
    const { client: c, observer } = client();
    const error = await rejectionOf(c.unpaginated('/teams', 'teams'));
    expect(error).toMatchObject({ kind, code, status });
    expect(routeCount(observer, '/teams')).toBe(1);
    expect(observer.retries).toHaveLength(0);
  });

  it('answers null for a 404 the caller allows (a deleted child), and the error carries request_id', async () => {
    const { client: c } = client();
    await expect(c.get('/conversations/999999999', undefined, { allow404: true })).resolves.toBeNull();
    const error = (await rejectionOf(c.get('/conversations/999999999'))) as IntercomError;
    expect(error).toMatchObject({ code: 'not_found', status: 404, route: '/conversations/{id}' });
    expect(error.requestId).toEqual(expect.any(String));
  });

  it('sends Intercom-Version on every request', async () => {
    const { client: c } = client();
    await c.me();
    expect(sim.stats().missingVersion).toBe(0);
  });
});
