import { type RunningSimulator } from '../../../src/sim';
import { simulatorsPerTest } from '../../helpers/simulator';
import { API_HEADERS, type Answer, call } from './helpers';

/** The injected per-answer latency over real HTTP: only lower bounds on time are asserted. */

/** setTimeout may fire up to a millisecond early by the wall clock's rounding. */
const SLACK_MS = 2;

async function timed(run: () => Promise<Answer>): Promise<{ answer: Answer; ms: number }> {
  const started = performance.now();
  const answer = await run();
  return { answer, ms: performance.now() - started };
}

async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

const admin = (sim: RunningSimulator, method: string, path: string, body?: unknown): Promise<Answer> =>
  call(sim, method, path, body, {});

describe('simulator latency (real HTTP)', () => {
  let sim: RunningSimulator;
  const startSimulator = simulatorsPerTest();

  it('a GET at 200 ms takes at least 200 ms; a search page takes at least the search latency', async () => {
    sim = await startSimulator({ seed: 1, size: { contacts: 20 }, latency: { ms: 200, searchMs: 450 } });
    const get = await timed(() => call(sim, 'GET', '/me'));
    expect(get.answer.status).toBe(200);
    expect(get.ms).toBeGreaterThanOrEqual(200 - SLACK_MS);
    const query = { query: { field: 'created_at', operator: '>', value: 0 }, pagination: { per_page: 5 } };
    const search = await timed(() => call(sim, 'POST', '/contacts/search', query));
    expect(search.answer.status).toBe(200);
    expect(search.answer.body.data).toHaveLength(5);
    expect(search.ms).toBeGreaterThanOrEqual(450 - SLACK_MS);
    // Error answers are delayed too: Intercom takes its time to say no.
    const missing = await timed(() => call(sim, 'GET', '/contacts/nope'));
    expect(missing.answer.status).toBe(404);
    expect(missing.ms).toBeGreaterThanOrEqual(200 - SLACK_MS);
    expect(sim.stats()).toMatchObject({ requests: 3, answered: 3, inFlight: 0, maxInFlight: 1 });
  });

  it('requests are served at once: stats count the most in flight and the answered', async () => {
    sim = await startSimulator({ seed: 1, size: { contacts: 20 }, latency: { ms: 300 } });
    const ids = sim.truth.ids('contacts').slice(0, 12);
    const answers = await Promise.all(ids.map((id) => call(sim, 'GET', `/contacts/${id}`)));
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
    expect(answers.map((a) => a.body.id)).toEqual(ids);
    expect(sim.stats()).toMatchObject({ requests: 12, answered: 12, inFlight: 0, maxInFlight: 12 });
  });

  it('the answer shows the workspace as it was when the request arrived', async () => {
    sim = await startSimulator({ seed: 1, size: { contacts: 20 }, latency: { ms: 300 } });
    const id = sim.truth.ids('contacts')[0] as string;
    const pending = call(sim, 'GET', `/contacts/${id}`);
    await waitFor(() => sim.stats().byRoute['GET /contacts/{id}'] === 1);
    sim.mutate.remove('contacts', id);
    const read = await pending;
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(id);
    expect((await call(sim, 'GET', `/contacts/${id}`)).status).toBe(404);
  });

  it('admin routes are never delayed; a client that gives up does not break the server', async () => {
    sim = await startSimulator({ seed: 1, size: { contacts: 20 }, latency: { ms: 600_000 } });
    const abort = new AbortController();
    const abandoned = fetch(`${sim.url}/me`, { headers: API_HEADERS, signal: abort.signal }).catch(
      (error: Error) => error.name,
    );
    await waitFor(() => sim.stats().inFlight === 1);
    // Ten minutes of latency on API answers, more than the test may take: the admin API answers at once.
    const stats = await admin(sim, 'GET', '/_sim/stats');
    expect(stats.body).toMatchObject({ requests: 1, inFlight: 1, answered: 0 });
    abort.abort();
    expect(await abandoned).toBe('AbortError');
    await waitFor(() => sim.stats().inFlight === 0);
    expect((await admin(sim, 'POST', '/_sim/latency', {})).status).toBe(200);
    const after = await call(sim, 'GET', '/me');
    expect(after.status).toBe(200);
    expect(sim.stats()).toMatchObject({ requests: 2, answered: 1, inFlight: 0, maxInFlight: 1 });
  });

  it('setLatency and POST /_sim/latency change it at runtime, and refuse bad values', async () => {
    sim = await startSimulator({ seed: 1, size: { contacts: 5 } });
    expect((await admin(sim, 'POST', '/_sim/latency', { ms: 250, p99Ms: 250 })).body).toEqual({ ok: true });
    expect((await timed(() => call(sim, 'GET', '/me'))).ms).toBeGreaterThanOrEqual(250 - SLACK_MS);
    sim.setLatency({ ms: 0, searchMs: 300 });
    const query = { query: { field: 'id', operator: '!=', value: 'x' } };
    expect((await timed(() => call(sim, 'POST', '/contacts/search', query))).ms).toBeGreaterThanOrEqual(
      300 - SLACK_MS,
    );
    const bad = await admin(sim, 'POST', '/_sim/latency', { ms: 300, p99Ms: 100 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/latency\.p99Ms \(100\) must be at least latency\.ms \(300\)/);
    expect((await admin(sim, 'POST', '/_sim/latency', { ms: 'slow' })).status).toBe(400);
    expect(() => sim.setLatency({ ms: -1 })).toThrow(/latency\.ms must be a non-negative number/);
    await expect(startSimulator({ latency: { ms: 10, searchP99Ms: 5 } })).rejects.toThrow(/searchP99Ms/);
  });
});
