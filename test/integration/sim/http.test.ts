import http from 'node:http';
import { type RunningSimulator } from '../../../src/sim';
import { simulatorsPerTest } from '../../helpers/simulator';
import { API_HEADERS, call } from './helpers';

/** A hand-moved wall clock for rate-limit windows, token expiry and scroll expiry. */
function wallClock(startMs = Date.UTC(2026, 0, 5, 12)): { now: () => number; advance: (ms: number) => void } {
  let now = startMs;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

/** A raw GET that reports what the connection did, for faults that break HTTP itself. */
function rawGet(
  url: string,
  timeoutMs?: number,
): Promise<{ status?: number; text?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers: API_HEADERS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode as number, text }));
      res.on('error', (e) =>
        resolve({
          status: res.statusCode as number,
          text,
          error: (e as NodeJS.ErrnoException).code ?? e.message,
        }),
      );
      res.on('aborted', () => resolve({ status: res.statusCode as number, text, error: 'aborted' }));
    });
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error('client timeout')));
    req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
  });
}

describe('simulator HTTP behaviour', () => {
  let sim: RunningSimulator;
  const startSimulator = simulatorsPerTest();

  it('sends rate-limit headers on every authenticated response and 429s past the limit, per window', async () => {
    const wall = wallClock(Date.UTC(2026, 0, 5, 12, 0, 3));
    sim = await startSimulator({ seed: 1, rateLimit: { limit: 3 }, wallClock: wall.now });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await call(sim, 'GET', '/admins'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
    for (const a of answers) {
      expect(a.headers.get('x-ratelimit-limit')).toBe('3');
      expect(a.headers.get('x-ratelimit-reset')).toBe(String(Date.UTC(2026, 0, 5, 12, 0, 10) / 1000));
    }
    expect(answers[3]!.body).toMatchObject({
      type: 'error.list',
      errors: [{ code: 'rate_limit_exceeded', message: 'Exceeded rate limit of 3 in 10_seconds' }],
    });
    wall.advance(7000);
    expect((await call(sim, 'GET', '/admins')).status).toBe(200);
    expect(sim.stats()).toMatchObject({ rateLimited: 1, byStatus: { 200: 4, 429: 1 } });
    const unauthenticated = await call(sim, 'GET', '/admins', undefined, { 'Intercom-Version': '2.14' });
    expect(unauthenticated.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('accepts any non-empty token by default, only the configured one with `token`, and 401s with error.list', async () => {
    sim = await startSimulator({ seed: 1 });
    expect(
      (await call(sim, 'GET', '/me', undefined, { ...API_HEADERS, Authorization: 'Bearer anything' })).status,
    ).toBe(200);
    expect(
      (await call(sim, 'GET', '/me', undefined, { ...API_HEADERS, Authorization: 'Bearer ' })).status,
    ).toBe(401);
    await sim.close();
    sim = await startSimulator({ seed: 1, token: 'tok_right' });
    const wrong = await call(sim, 'GET', '/me', undefined, {
      ...API_HEADERS,
      Authorization: 'Bearer tok_wrong',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ type: 'error.list', errors: [{ code: 'unauthorized' }] });
    expect(JSON.stringify(wrong.body)).not.toContain('tok_wrong');
    expect(
      (await call(sim, 'GET', '/me', undefined, { ...API_HEADERS, Authorization: 'Bearer tok_right' }))
        .status,
    ).toBe(200);
  });

  it('rejects a version Intercom does not serve with 400, counts requests without one, and fakes a wrong version on demand', async () => {
    sim = await startSimulator({ seed: 1 });
    const other = await call(sim, 'GET', '/me', undefined, { ...API_HEADERS, 'Intercom-Version': '2.99' });
    expect(other.status).toBe(400);
    expect(other.body.errors[0].code).toBe('intercom_version_invalid');
    expect((await call(sim, 'GET', '/me', undefined, { Authorization: 'Bearer t' })).status).toBe(200);
    expect(sim.stats().missingVersion).toBe(1);
    sim.faults.add({ kind: 'wrongVersion', match: { path: '/me' } });
    expect((await call(sim, 'GET', '/me')).status).toBe(400);
    expect((await call(sim, 'GET', '/me')).status).toBe(200);
  });

  it("answers every Intercom-Version Intercom serves with the same 2.14 shapes, and Intercom's error for others", async () => {
    sim = await startSimulator({ seed: 1 });
    const as = (version: string) =>
      call(sim, 'GET', '/contacts?per_page=3', undefined, { ...API_HEADERS, 'Intercom-Version': version });
    const reference = await as('2.14');
    expect(reference.status).toBe(200);
    for (const version of ['2.9', '2.10', '2.11', '2.12', '2.13', 'Unstable', '1.4']) {
      const answer = await as(version);
      expect([version, answer.status]).toEqual([version, 200]);
      expect(answer.body).toEqual(reference.body);
    }
    for (const version of ['2.15', '3.0', 'unstable']) {
      const answer = await as(version);
      expect([version, answer.status]).toEqual([version, 400]);
      expect(answer.body).toMatchObject({
        type: 'error.list',
        errors: [{ code: 'intercom_version_invalid', message: 'The requested version could not be found' }],
      });
    }
    await sim.close();
    sim = await startSimulator({ seed: 1, apiVersion: '2.14' });
    expect((await as('2.11')).status).toBe(400);
    expect((await as('2.14')).status).toBe(200);
  });

  it('GET /contacts/{id}/tags, the URL each contact names: all its tags as a tag list, 404 for no contact', async () => {
    sim = await startSimulator({ seed: 2, size: { contacts: 120 } });
    const tagNames = new Map<string, string>(
      (await call(sim, 'GET', '/tags')).body.data.map((t: { id: string; name: string }) => [t.id, t.name]),
    );
    const contacts = (await call(sim, 'GET', '/contacts?per_page=120')).body.data;
    let pastTen = 0;
    for (const contact of contacts) {
      const answer = await call(sim, 'GET', contact.tags.url);
      expect(answer.status).toBe(200);
      expect(answer.body.type).toBe('list');
      const ids = answer.body.data.map((t: { id: string }) => t.id);
      expect(ids).toHaveLength(contact.tags.total_count);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.slice(0, 10)).toEqual(contact.tags.data.map((t: { id: string }) => t.id));
      for (const tag of answer.body.data)
        expect(tag).toEqual({ type: 'tag', id: tag.id, name: tagNames.get(tag.id) });
      if (contact.tags.has_more) pastTen++;
    }
    expect(pastTen).toBeGreaterThan(0);
    const created = await call(sim, 'POST', '/contacts', { email: 'tags@example.com' });
    expect((await call(sim, 'GET', `/contacts/${created.body.id}/tags`)).body).toEqual({
      type: 'list',
      data: [],
    });
    const missing = await call(sim, 'GET', '/contacts/000000000000000000000000/tags');
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0].code).toBe('not_found');
  });

  it('a contact with more than ten companies and notes: ten of each embedded (has_more, url), all of them at the url, in pages', async () => {
    sim = await startSimulator({ seed: 3, size: { contacts: 5, companies: 20 } });
    const id = sim.truth.ids('contacts')[1]!;
    const companies = sim.truth.ids('companies').slice(0, 12);
    const notes = Array.from({ length: 60 }, (_, i) => ({ type: 'note', id: `n${i}`, url: `/notes/n${i}` }));
    const list = (kind: string, data: unknown[]) => ({
      type: 'list',
      data,
      url: `/contacts/${id}/${kind}`,
      total_count: data.length,
      has_more: false,
    });
    const refs = companies.map((c) => ({ type: 'company', id: c, url: `/companies/${c}` }));
    sim.mutate.update('contacts', id, { companies: list('companies', refs), notes: list('notes', notes) });
    const shown = (await call(sim, 'GET', `/contacts/${id}`)).body;
    expect(shown.companies).toEqual({
      ...list('companies', refs.slice(0, 10)),
      total_count: 12,
      has_more: true,
    });
    expect(shown.notes).toEqual({ ...list('notes', notes.slice(0, 10)), total_count: 60, has_more: true });
    const all = (await call(sim, 'GET', shown.companies.url)).body;
    expect(all.data.map((c: { id: string; type: string }) => [c.type, c.id])).toEqual(
      companies.map((c) => ['company', c]),
    );
    expect(all.data[0]).toEqual(sim.truth.get('companies', companies[0]!));
    expect(all.pages).toMatchObject({ page: 1, total_pages: 1 });
    const first = (await call(sim, 'GET', `${shown.notes.url}`)).body;
    const second = (await call(sim, 'GET', `${shown.notes.url}?page=2`)).body;
    expect([first.total_count, first.pages.total_pages]).toEqual([60, 2]);
    expect([...first.data, ...second.data]).toEqual(notes);
    expect((await call(sim, 'GET', `/contacts/${id}/segments`)).body).toEqual({ type: 'list', data: [] });
    // The ground truth holds the lists in full: what a capture that reads the rest publishes.
    expect(sim.truth.get('contacts', id)!.notes).toEqual(list('notes', notes));
  });

  it('faults: 5xx, reset, timeout, truncated and malformed bodies, bad timestamps, each `times` times', async () => {
    sim = await startSimulator({ seed: 1 });
    const match = { method: 'GET', path: '/teams' };
    sim.faults.add({ kind: 'status', status: 503, match, times: 2 });
    sim.faults.add({ kind: 'status', status: 502, match });
    expect((await call(sim, 'GET', '/teams')).body.errors[0].code).toBe('service_unavailable');
    expect((await call(sim, 'GET', '/teams')).status).toBe(503);
    const proxy = await call(sim, 'GET', '/teams');
    expect([proxy.status, proxy.headers.get('content-type')]).toEqual([502, 'text/html']);
    expect((await call(sim, 'GET', '/admins')).status).toBe(200);

    sim.faults.add({ kind: 'reset', match });
    expect((await rawGet(`${sim.url}/teams`)).error).toBe('ECONNRESET');

    sim.faults.add({ kind: 'timeout', match });
    expect((await rawGet(`${sim.url}/teams`, 300)).error).toBe('client timeout');

    sim.faults.add({ kind: 'truncated', match });
    const truncated = await rawGet(`${sim.url}/teams`);
    expect(truncated.status).toBe(200);
    expect(truncated.error).toBeDefined();
    expect(() => JSON.parse(truncated.text ?? '')).toThrow();

    sim.faults.add({ kind: 'malformed', match });
    const malformed = await rawGet(`${sim.url}/teams`);
    expect(malformed.status).toBe(200);
    expect(() => JSON.parse(malformed.text ?? '')).toThrow();

    sim.faults.add({ kind: 'badTimestamp', field: 'updated_at', match: { path: /^\/contacts/ } });
    const bad = await call(sim, 'GET', '/contacts?per_page=2');
    expect(bad.body.data.map((c: { updated_at: unknown }) => typeof c.updated_at)).toEqual([
      'string',
      'string',
    ]);

    const good = await call(sim, 'GET', '/teams');
    expect(good.status).toBe(200);
    expect(good.body.teams).toHaveLength(3);
    sim.faults.add({ kind: 'status', status: 500, times: Infinity });
    expect((await call(sim, 'GET', '/me')).status).toBe(500);
    sim.faults.clear();
    expect((await call(sim, 'GET', '/me')).status).toBe(200);
  });

  it('OAuth: authorize redirects with a single-use code and the state; the exchange returns a token the API accepts', async () => {
    const client = { clientId: 'cid', clientSecret: 'secret' };
    sim = await startSimulator({ seed: 1, token: 'static-only', oauth: client });
    expect(
      (await call(sim, 'GET', '/oauth?client_id=nope&redirect_uri=http://127.0.0.1:1/cb&state=s')).status,
    ).toBe(400);
    const redirect = await call(
      sim,
      'GET',
      '/oauth?client_id=cid&state=st%20ate&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb',
    );
    expect(redirect.status).toBe(302);
    const location = new URL(redirect.headers.get('location') as string);
    expect(`${location.origin}${location.pathname}`).toBe('http://127.0.0.1:9/cb');
    expect(location.searchParams.get('state')).toBe('st ate');
    const code = location.searchParams.get('code') as string;
    expect(code.endsWith('=')).toBe(true);

    const form = new URLSearchParams({ code, client_id: 'cid', client_secret: 'secret' });
    const res = await fetch(`${sim.url}/auth/eagle/token`, { method: 'POST', body: form });
    const tokens = (await res.json()) as Record<string, unknown>;
    expect(tokens).toEqual({ token_type: 'Bearer', token: expect.any(String), access_token: tokens.token });
    expect(
      (
        await call(sim, 'GET', '/me', undefined, {
          ...API_HEADERS,
          Authorization: `Bearer ${tokens.access_token}`,
        })
      ).status,
    ).toBe(200);
    const again = await call(sim, 'POST', '/auth/eagle/token', {
      code,
      client_id: 'cid',
      client_secret: 'secret',
    });
    expect(again.status).toBe(400);
    const wrongSecret = await call(sim, 'POST', '/auth/eagle/token', {
      code,
      client_id: 'cid',
      client_secret: 'bad',
    });
    expect(wrongSecret.status).toBe(401);
  });

  it('OAuth refresh mode: tokens carry refresh_token and expires_in, expire on the wall clock, and refresh rotates', async () => {
    const wall = wallClock();
    sim = await startSimulator({
      seed: 1,
      wallClock: wall.now,
      oauth: { clientId: 'cid', clientSecret: 's', refresh: true, expiresInSec: 60 },
    });
    const location = new URL(
      (await call(sim, 'GET', '/oauth?client_id=cid&redirect_uri=http://127.0.0.1:9/cb')).headers.get(
        'location',
      ) as string,
    );
    const first = (
      await call(sim, 'POST', '/auth/eagle/token', {
        code: location.searchParams.get('code'),
        client_id: 'cid',
        client_secret: 's',
      })
    ).body;
    expect(first).toMatchObject({ token_type: 'Bearer', expires_in: 60, refresh_token: expect.any(String) });
    const as = (token: string) => ({ ...API_HEADERS, Authorization: `Bearer ${token}` });
    expect((await call(sim, 'GET', '/me', undefined, as(first.access_token))).status).toBe(200);
    wall.advance(60_000);
    expect((await call(sim, 'GET', '/me', undefined, as(first.access_token))).status).toBe(401);
    const refresh = {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      client_id: 'cid',
      client_secret: 's',
    };
    const second = (await call(sim, 'POST', '/auth/eagle/token', refresh)).body;
    expect(second.access_token).not.toBe(first.access_token);
    expect((await call(sim, 'GET', '/me', undefined, as(second.access_token))).status).toBe(200);
    expect((await call(sim, 'POST', '/auth/eagle/token', refresh)).status).toBe(400); // rotated: single use
  });

  it('companies scroll: one open scroll per app, idle expiry after a minute, a 500 that forces a restart', async () => {
    const wall = wallClock();
    sim = await startSimulator({ seed: 1, size: { companies: 120 }, wallClock: wall.now });
    const first = await call(sim, 'GET', '/companies/scroll');
    expect(first.body.data).toHaveLength(50);
    const conflict = await call(sim, 'GET', '/companies/scroll');
    expect([conflict.status, conflict.body.errors[0].code]).toEqual([400, 'scroll_exists']);
    const second = await call(sim, 'GET', `/companies/scroll?scroll_param=${first.body.scroll_param}`);
    expect(second.body.data[0].id).not.toBe(first.body.data[0].id);

    sim.faults.add({ kind: 'status', status: 500, match: { path: '/companies/scroll' } });
    expect((await call(sim, 'GET', `/companies/scroll?scroll_param=${first.body.scroll_param}`)).status).toBe(
      500,
    );
    expect((await call(sim, 'GET', `/companies/scroll?scroll_param=${first.body.scroll_param}`)).status).toBe(
      404,
    );
    const restarted = await call(sim, 'GET', '/companies/scroll');
    expect(restarted.body.data[0].id).toBe(first.body.data[0].id);

    wall.advance(61_000);
    expect(
      (await call(sim, 'GET', `/companies/scroll?scroll_param=${restarted.body.scroll_param}`)).status,
    ).toBe(404);
    const ids: string[] = [];
    let param = '';
    for (;;) {
      const page = await call(sim, 'GET', `/companies/scroll${param ? `?scroll_param=${param}` : ''}`);
      if (page.body.data.length === 0) break;
      ids.push(...page.body.data.map((c: { id: string }) => c.id));
      param = page.body.scroll_param;
    }
    expect(ids.sort()).toEqual(sim.truth.ids('companies').sort());
    expect((await call(sim, 'GET', '/companies/scroll')).status).toBe(200); // the finished scroll closed
  });

  it('GET /articles/{id} and /help_center/collections/{id}: the object as listed (articles with statistics), 404 when gone', async () => {
    sim = await startSimulator({ seed: 8, size: { articles: 6, collections: 3 } });
    for (const [stream, path] of [
      ['articles', '/articles'],
      ['help_center_collections', '/help_center/collections'],
    ] as const) {
      const id = sim.truth.ids(stream)[1] as string;
      sim.clock.advance(5_000);
      sim.mutate.update(stream, id);
      const listed = (await call(sim, 'GET', `${path}?per_page=150`)).body.data.find(
        (o: { id: string }) => o.id === id,
      );
      const got = await call(sim, 'GET', `${path}/${id}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(
        stream === 'articles'
          ? { ...listed, statistics: expect.objectContaining({ type: 'article_statistics' }) }
          : listed,
      );
      expect(got.body.updated_at).toBe(Math.floor(sim.clock.now() / 1000));
      sim.mutate.remove(stream, id);
      const gone = await call(sim, 'GET', `${path}/${id}`);
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ type: 'error.list', errors: [{ code: 'not_found' }] });
      expect((await call(sim, 'GET', `${path}/999999999`)).status).toBe(404);
    }
    const stats = (await call(sim, 'GET', `/articles/${sim.truth.ids('articles')[0]}`)).body.statistics;
    const percentages = ['happy', 'neutral', 'sad'].map((k) => stats[`${k}_reaction_percentage`]);
    expect(percentages.reduce((sum: number, p: number) => sum + p, 0)).toBe(stats.reactions > 0 ? 100 : 0);
  });

  it('the /_sim/ admin API drives clock, mutations, truth, faults and rate limits without auth', async () => {
    sim = await startSimulator({ seed: 1, size: { contacts: 10 } });
    const admin = (method: string, path: string, body?: unknown) => call(sim, method, path, body, {});
    const start = sim.clock.now();
    expect((await admin('POST', '/_sim/clock/advance', { ms: 5000 })).body.nowMs).toBe(start + 5000);
    const created = (
      await admin('POST', '/_sim/mutate', {
        op: 'create',
        stream: 'contacts',
        patch: { name: 'Grace Hopper' },
      })
    ).body.id;
    expect(sim.truth.get('contacts', created)?.name).toBe('Grace Hopper');
    const truth = (await admin('GET', '/_sim/truth?stream=contacts')).body;
    expect(truth.items).toContainEqual({ id: created, updated_at: Math.floor((start + 5000) / 1000) });
    expect((await admin('GET', '/_sim/truth/log?after=0')).body.changes).toEqual([
      expect.objectContaining({ seq: 1, stream: 'contacts', id: created, op: 'c' }),
    ]);
    await admin('POST', '/_sim/faults', { kind: 'status', status: 503, match: { path: '/me' } });
    expect((await call(sim, 'GET', '/me')).status).toBe(503);
    await admin('POST', '/_sim/rate-limit', { limit: 0 });
    expect((await call(sim, 'GET', '/me')).status).toBe(429);
    expect((await admin('POST', '/_sim/mutate', { op: 'explode' })).status).toBe(400);
    expect((await admin('GET', '/_sim/stats')).body).toMatchObject({
      rateLimited: 1,
      byStatus: { 503: 1, 429: 1 },
    });
  });
});
