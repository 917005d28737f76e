import { type RunningSimulator } from '../../../src/sim';
import { simulatorsPerTest } from '../../helpers/simulator';
import { API_HEADERS, type Answer, call } from './helpers';

/**
 * Contact writes over real HTTP: CreateContact, UpdateContact, ArchiveContact, UnarchiveContact and
 * ShowContactByExternalId, their validation and conflicts, and what the ground truth records.
 */

const LAG_MS = 120_000;
type Contact = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const nowSec = (sim: RunningSimulator): number => Math.floor(sim.clock.now() / 1000);

/** The id a 409 names: `... already exists with id=<id>`. */
function conflictId(answer: Answer): string {
  expect(answer.status).toBe(409);
  expect(answer.body).toMatchObject({ type: 'error.list', errors: [{ code: 'conflict' }] });
  const m = /already exists with id=([0-9a-f]{24})$/.exec(answer.body.errors[0].message as string);
  expect(m).not.toBeNull();
  return m![1] as string;
}

function expectError(answer: Answer, status: number, code: string, message?: RegExp | string): void {
  expect({ status: answer.status, code: answer.body?.errors?.[0]?.code }).toEqual({ status, code });
  expect(answer.body.type).toBe('error.list');
  expect(typeof answer.body.request_id).toBe('string');
  if (message !== undefined) {
    const text = answer.body.errors[0].message as string;
    if (typeof message === 'string') expect(text).toBe(message);
    else expect(text).toMatch(message);
  }
}

describe('simulator contact writes', () => {
  let sim: RunningSimulator;
  let contacts: Contact[];
  let users: Contact[];
  let leads: Contact[];

  beforeEach(async () => {
    sim = await startSimulator({ seed: 5, searchLagMs: LAG_MS });
    sim.clock.advance(3_600_000);
    contacts = sim.truth.ids('contacts').map((id) => sim.truth.get('contacts', id) as Contact);
    users = contacts.filter((c) => c.role === 'user' && c.external_id !== null);
    leads = contacts.filter((c) => c.role === 'lead');
    expect(users.length).toBeGreaterThan(10);
    expect(leads.length).toBeGreaterThan(5);
  });
  const startSimulator = simulatorsPerTest();

  const searchByExternalId = async (externalId: string): Promise<string[]> => {
    const a = await call(sim, 'POST', '/contacts/search', {
      query: { field: 'external_id', operator: '=', value: externalId },
      pagination: { per_page: 150 },
    });
    expect(a.status).toBe(200);
    return a.body.data.map((c: Contact) => c.id);
  };

  /** Every id GET /contacts lists, following its cursor. */
  const listAll = async (): Promise<string[]> => {
    const ids: string[] = [];
    let next: string | undefined;
    do {
      const a = await call(sim, 'GET', `/contacts?per_page=150${next ? `&starting_after=${next}` : ''}`);
      expect(a.status).toBe(200);
      ids.push(...a.body.data.map((c: Contact) => c.id));
      next = a.body.pages?.next?.starting_after;
    } while (next);
    return ids;
  };

  describe('POST /contacts', () => {
    it('creates the contact from the request: GET by id at once, search only after the lag, truth records a c', async () => {
      const admin = Number(sim.truth.ids('admins')[2]);
      const logBefore = sim.truth.log().length;
      const answer = await call(sim, 'POST', '/contacts', {
        role: 'user',
        external_id: 'crm-1001',
        email: 'Ada.Lovelace@Example.org',
        phone: '+15550001111',
        name: 'Ada Lovelace',
        avatar: 'https://example.org/ada.png',
        signed_up_at: 1_700_000_000,
        last_seen_at: 1_760_000_000,
        owner_id: admin,
        unsubscribed_from_emails: true,
        custom_attributes: { plan: 'pro', seats: 12, vip: true, nps: 8.5, trial_ends_at: 1_770_000_000 },
      });
      expect(answer.status).toBe(200);
      const created = answer.body as Contact;
      expect(created).toMatchObject({
        type: 'contact',
        role: 'user',
        external_id: 'crm-1001',
        email: 'Ada.Lovelace@Example.org',
        email_domain: 'example.org',
        phone: '+15550001111',
        name: 'Ada Lovelace',
        avatar: { type: 'avatar', image_url: 'https://example.org/ada.png' },
        signed_up_at: 1_700_000_000,
        last_seen_at: 1_760_000_000,
        owner_id: admin,
        unsubscribed_from_emails: true,
        created_at: nowSec(sim),
        updated_at: nowSec(sim),
        last_replied_at: null,
        browser: null,
        tags: { type: 'list', data: [], url: `/contacts/${created.id}/tags`, total_count: 0 },
        companies: { data: [], total_count: 0 },
      });
      expect(created.custom_attributes).toEqual({
        plan: 'pro',
        seats: 12,
        vip: true,
        nps: 8.5,
        trial_ends_at: 1_770_000_000,
      });
      expect(created.id).toMatch(/^[0-9a-f]{24}$/);

      const got = await call(sim, 'GET', `/contacts/${created.id}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(created);
      expect(sim.truth.get('contacts', created.id)).toEqual(created);
      expect(sim.truth.ids('contacts')).toContain(created.id);
      expect(sim.truth.log().slice(logBefore)).toEqual([
        expect.objectContaining({
          stream: 'contacts',
          id: created.id,
          op: 'c',
          updatedAt: nowSec(sim),
          atMs: sim.clock.now(),
        }),
      ]);
      expect(await listAll()).toContain(created.id);

      expect(await searchByExternalId('crm-1001')).toEqual([]);
      sim.clock.advance(LAG_MS - 1000);
      expect(await searchByExternalId('crm-1001')).toEqual([]);
      sim.clock.advance(1000);
      expect(await searchByExternalId('crm-1001')).toEqual([created.id]);
      expect(sim.stats().byRoute['POST /contacts']).toBe(1);
    });

    it('defaults role to user, creates leads, and treats null as absent', async () => {
      const user = await call(sim, 'POST', '/contacts', { email: 'someone.new@example.com', name: null });
      expect(user.status).toBe(200);
      expect(user.body).toMatchObject({ role: 'user', external_id: null, name: null, owner_id: null });
      expect(Object.values(user.body.custom_attributes).every((v) => v === null)).toBe(true);
      const lead = await call(sim, 'POST', '/contacts', { role: 'lead', external_id: 'lead-x' });
      expect(lead.status).toBe(200);
      expect(lead.body).toMatchObject({ role: 'lead', external_id: 'lead-x', email: null });
    });

    it('accepts dates of date attributes as Unix seconds or ISO 8601, integers as floats', async () => {
      const a = await call(sim, 'POST', '/contacts', {
        external_id: 'dates-1',
        custom_attributes: { trial_ends_at: '2026-02-01T00:00:00Z', nps: 7, plan: null },
      });
      expect(a.status).toBe(200);
      expect(a.body.custom_attributes).toMatchObject({
        trial_ends_at: '2026-02-01T00:00:00Z',
        nps: 7,
        plan: null,
      });
    });

    it('rejects invalid bodies with Intercom error lists and creates nothing', async () => {
      const admin = sim.truth.ids('admins')[0] as string;
      const ids = sim.truth.ids('contacts').length;
      const logged = sim.truth.log().length;
      const cases: [unknown, string, RegExp | string][] = [
        [{}, 'parameter_invalid', 'A contact must have an email or an external_id'],
        [{ name: 'No Identity', role: 'user' }, 'parameter_invalid', /email or an external_id/],
        [{ email: 'a@example.com', role: 'admin' }, 'parameter_invalid', /role must be 'user' or 'lead'/],
        [{ email: 'a@example.com', role: 7 }, 'parameter_invalid', /^role/],
        [{ email: 'not-an-email' }, 'parameter_invalid', /email "not-an-email" is not a valid email/],
        [{ email: 'a@example.com', name: 5 }, 'parameter_invalid', /^name must be a string/],
        [{ external_id: 'x-1', signed_up_at: 'x' }, 'parameter_invalid', /^signed_up_at must be an integer/],
        [{ external_id: 'x-1', last_seen_at: 1.5 }, 'parameter_invalid', /^last_seen_at/],
        [{ external_id: 5 }, 'parameter_invalid', /^external_id must be a string/],
        [{ external_id: 'x-1', unsubscribed_from_emails: 'yes' }, 'parameter_invalid', /unsubscribed/],
        [{ external_id: 'x-1', phone: 15550001 }, 'parameter_invalid', /^phone/],
        [{ external_id: 'x-1', avatar: 'not a url' }, 'parameter_invalid', /^avatar/],
        [{ external_id: 'x-1', owner_id: 1 }, 'parameter_invalid', /owner_id 1 is not an admin/],
        [{ external_id: 'x-1', owner_id: admin }, 'parameter_invalid', /^owner_id must be an integer/],
        [{ external_id: 'x-1', custom_attributes: [1] }, 'parameter_invalid', /custom_attributes/],
        [
          { external_id: 'x-1', custom_attributes: { foo: 'bar' } },
          'parameter_not_found',
          "Custom attribute 'foo' does not exist",
        ],
        [
          { external_id: 'x-1', custom_attributes: { region: 'EU' } }, // a company attribute
          'parameter_not_found',
          "Custom attribute 'region' does not exist",
        ],
        [
          { external_id: 'x-1', custom_attributes: { seats: 'many' } },
          'parameter_invalid',
          /'seats'.*integer/,
        ],
        [{ external_id: 'x-1', custom_attributes: { seats: 2.5 } }, 'parameter_invalid', /'seats'/],
        [{ external_id: 'x-1', custom_attributes: { vip: 'yes' } }, 'parameter_invalid', /'vip'.*boolean/],
        [{ external_id: 'x-1', custom_attributes: { nps: '9' } }, 'parameter_invalid', /'nps'.*float/],
        [{ external_id: 'x-1', custom_attributes: { plan: 3 } }, 'parameter_invalid', /'plan'.*string/],
        [
          { external_id: 'x-1', custom_attributes: { trial_ends_at: 'next week' } },
          'parameter_invalid',
          /'trial_ends_at'.*date/,
        ],
      ];
      for (const [body, code, message] of cases) {
        const a = await call(sim, 'POST', '/contacts', body);
        expectError(a, 400, code, message);
      }
      const unknown = await call(sim, 'POST', '/contacts', {
        external_id: 'x-1',
        custom_attributes: { foo: 1 },
      });
      expect(unknown.body.errors[0].field).toBe('custom_attributes.foo');
      const notJson = await fetch(`${sim.url}/contacts`, {
        method: 'POST',
        headers: { ...API_HEADERS, 'Content-Type': 'application/json' },
        body: '{"email":',
      });
      expect(notJson.status).toBe(400);
      expect(sim.truth.ids('contacts')).toHaveLength(ids);
      expect(sim.truth.log()).toHaveLength(logged);
      expect(sim.stats().byRoute['POST /contacts']).toBe(cases.length + 2);
    });

    it('409s on an external_id or a user email already taken, naming the holder', async () => {
      const user = users[3] as Contact;
      const logged = sim.truth.log().length;
      expect(conflictId(await call(sim, 'POST', '/contacts', { external_id: user.external_id }))).toBe(
        user.id,
      );
      const byIdOnly = await call(sim, 'POST', '/contacts', { external_id: user.external_id, role: 'lead' });
      expect(byIdOnly.body.errors[0].message).toBe(
        `A contact matching those details already exists with id=${user.id}`,
      );
      // a user without external_id may not take a user's email (any case) ...
      expect(conflictId(await call(sim, 'POST', '/contacts', { email: user.email.toUpperCase() }))).toBe(
        user.id,
      );
      expect(sim.truth.log()).toHaveLength(logged);
      // ... but a lead may, and so may a user with its own external_id
      expect((await call(sim, 'POST', '/contacts', { role: 'lead', email: user.email })).status).toBe(200);
      expect((await call(sim, 'POST', '/contacts', { external_id: 'own-1', email: user.email })).status).toBe(
        200,
      );
      // a lead's email does not block a new user
      const lead = leads[0] as Contact;
      expect((await call(sim, 'POST', '/contacts', { email: lead.email })).status).toBe(200);
    });

    it('409s with "archived" when an archived contact holds the external_id or the email', async () => {
      const user = users[4] as Contact;
      expect((await call(sim, 'POST', `/contacts/${user.id}/archive`)).status).toBe(200);
      const a = await call(sim, 'POST', '/contacts', { external_id: user.external_id });
      expect(conflictId(a)).toBe(user.id);
      expect(a.body.errors[0].message).toBe(
        `An archived contact matching those details already exists with id=${user.id}`,
      );
      const byEmail = await call(sim, 'POST', '/contacts', { email: user.email });
      expect(byEmail.body.errors[0].message).toMatch(/^An archived contact matching/);
      expect(conflictId(byEmail)).toBe(user.id);
    });
  });

  describe('PUT /contacts/{id}', () => {
    it('changes only the keys given, merges custom attributes, null clears, bumps updated_at and logs a u', async () => {
      const target = users[5] as Contact;
      sim.clock.advance(5000);
      const logged = sim.truth.log().length;
      const a = await call(sim, 'PUT', `/contacts/${target.id}`, {
        name: 'Renamed',
        phone: null,
        custom_attributes: { seats: 99, vip: null },
      });
      expect(a.status).toBe(200);
      const expected = {
        ...target,
        name: 'Renamed',
        phone: null,
        updated_at: nowSec(sim),
        custom_attributes: { ...target.custom_attributes, seats: 99, vip: null },
      };
      expect(a.body).toEqual(expected);
      expect((await call(sim, 'GET', `/contacts/${target.id}`)).body).toEqual(expected);
      expect(sim.truth.get('contacts', target.id)).toEqual(expected);
      expect(sim.truth.log().slice(logged)).toEqual([
        expect.objectContaining({ stream: 'contacts', id: target.id, op: 'u', updatedAt: nowSec(sim) }),
      ]);
      // the update is searchable only after the lag
      const searchUpdated = async (): Promise<string[]> =>
        (
          await call(sim, 'POST', '/contacts/search', {
            query: { field: 'name', operator: '=', value: 'Renamed' },
          })
        ).body.data.map((c: Contact) => c.id);
      expect(await searchUpdated()).toEqual([]);
      sim.clock.advance(LAG_MS);
      expect(await searchUpdated()).toEqual([target.id]);

      const cleared = await call(sim, 'PUT', `/contacts/${target.id}`, {
        custom_attributes: null,
        email: 'n@ex.io',
      });
      expect(Object.values(cleared.body.custom_attributes).every((v) => v === null)).toBe(true);
      expect(cleared.body).toMatchObject({ email: 'n@ex.io', email_domain: 'ex.io', name: 'Renamed' });
    });

    it('a PUT that changes nothing still bumps updated_at and logs a change, every time', async () => {
      const target = leads[2] as Contact;
      const updates = () => sim.truth.log().filter((r) => r.id === target.id && r.op === 'u');
      for (let i = 1; i <= 3; i++) {
        sim.clock.advance(2000);
        const same = await call(sim, 'PUT', `/contacts/${target.id}`, { name: target.name, role: 'lead' });
        expect(same.status).toBe(200);
        expect(same.body).toEqual({ ...target, updated_at: nowSec(sim) });
        expect(updates()).toHaveLength(i);
        expect(updates().at(-1)!.updatedAt).toBe(nowSec(sim));
      }
      sim.clock.advance(2000);
      const empty = await call(sim, 'PUT', `/contacts/${target.id}`, {});
      expect(empty.body).toEqual({ ...target, updated_at: nowSec(sim) });
      expect(updates()).toHaveLength(4);
      expect(sim.stats().byRoute['PUT /contacts/{id}']).toBe(4);
    });

    it('validates like create, 404s unknown and archived ids, 409s on taken identities', async () => {
      const target = users[6] as Contact;
      const other = users[7] as Contact;
      const logged = sim.truth.log().length;
      expectError(
        await call(sim, 'PUT', `/contacts/${target.id}`, { name: 5 }),
        400,
        'parameter_invalid',
        /^name/,
      );
      expectError(
        await call(sim, 'PUT', `/contacts/${target.id}`, { custom_attributes: { nope: 1 } }),
        400,
        'parameter_not_found',
        "Custom attribute 'nope' does not exist",
      );
      expectError(
        await call(sim, 'PUT', `/contacts/${target.id}`, { custom_attributes: { seats: true } }),
        400,
        'parameter_invalid',
      );
      expectError(await call(sim, 'PUT', `/contacts/${target.id}`, { role: null }), 400, 'parameter_invalid');
      expectError(
        await call(sim, 'PUT', `/contacts/${target.id}`, { email: null, external_id: null }),
        400,
        'parameter_invalid',
      );
      expectError(await call(sim, 'PUT', '/contacts/000000000000000000000000', {}), 404, 'not_found');
      expectError(await call(sim, 'PUT', '/contacts/nope', { name: 'x' }), 404, 'not_found');
      expect(
        conflictId(await call(sim, 'PUT', `/contacts/${target.id}`, { external_id: other.external_id })),
      ).toBe(other.id);
      // a user without external_id cannot take another user's email
      expect(
        conflictId(
          await call(sim, 'PUT', `/contacts/${target.id}`, { external_id: null, email: other.email }),
        ),
      ).toBe(other.id);
      // its own identity is no conflict
      expect(
        (
          await call(sim, 'PUT', `/contacts/${target.id}`, {
            external_id: target.external_id,
            email: target.email,
          })
        ).status,
      ).toBe(200);
      expect(sim.truth.log().length).toBe(logged + 1);

      await call(sim, 'POST', `/contacts/${other.id}/archive`);
      expectError(await call(sim, 'PUT', `/contacts/${other.id}`, { name: 'x' }), 404, 'not_found');
      const archivedHolder = await call(sim, 'PUT', `/contacts/${target.id}`, {
        external_id: other.external_id,
      });
      expect(archivedHolder.body.errors[0].message).toBe(
        `An archived contact matching those details already exists with id=${other.id}`,
      );
    });
  });

  describe('archive and unarchive', () => {
    it('archive hides the contact from every read and the truth; unarchive brings it back with a new updated_at', async () => {
      const target = users[8] as Contact;
      const logged = sim.truth.log().length;
      sim.clock.advance(LAG_MS);
      expect(await searchByExternalId(target.external_id)).toEqual([target.id]);

      const archived = await call(sim, 'POST', `/contacts/${target.id}/archive`);
      expect(archived.status).toBe(200);
      expect(archived.body).toEqual({
        type: 'contact',
        id: target.id,
        external_id: target.external_id,
        archived: true,
      });
      expectError(await call(sim, 'GET', `/contacts/${target.id}`), 404, 'not_found');
      expectError(
        await call(sim, 'GET', `/contacts/find_by_external_id/${target.external_id}`),
        404,
        'not_found',
      );
      const listedIds = await listAll();
      expect(listedIds).toHaveLength(contacts.length - 1);
      expect(listedIds).not.toContain(target.id);
      expect(await searchByExternalId(target.external_id)).toEqual([]);
      expect(sim.truth.ids('contacts')).not.toContain(target.id);
      expect(sim.truth.get('contacts', target.id)).toBeUndefined();
      expect(sim.truth.archived('contacts')).toEqual([target.id]);
      expect(sim.truth.log().slice(logged)).toEqual([
        expect.objectContaining({ stream: 'contacts', id: target.id, op: 'd', updatedAt: null }),
      ]);

      // idempotent
      const again = await call(sim, 'POST', `/contacts/${target.id}/archive`);
      expect(again.body).toEqual(archived.body);
      expect(sim.truth.log()).toHaveLength(logged + 1);

      sim.clock.advance(60_000);
      const back = await call(sim, 'POST', `/contacts/${target.id}/unarchive`);
      expect(back.status).toBe(200);
      expect(back.body).toEqual({
        type: 'contact',
        id: target.id,
        external_id: target.external_id,
        archived: false,
      });
      const got = await call(sim, 'GET', `/contacts/${target.id}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual({ ...target, updated_at: nowSec(sim) });
      expect(sim.truth.get('contacts', target.id)).toEqual(got.body);
      expect(sim.truth.ids('contacts')).toContain(target.id);
      expect(sim.truth.archived('contacts')).toEqual([]);
      expect(sim.truth.log().slice(logged + 1)).toEqual([
        expect.objectContaining({ stream: 'contacts', id: target.id, op: 'c', updatedAt: nowSec(sim) }),
      ]);
      expect((await call(sim, 'GET', `/contacts/find_by_external_id/${target.external_id}`)).body.id).toBe(
        target.id,
      );
      expect(await searchByExternalId(target.external_id)).toEqual([]); // re-indexing takes the lag
      sim.clock.advance(LAG_MS);
      expect(await searchByExternalId(target.external_id)).toEqual([target.id]);

      // unarchiving a live contact changes nothing
      const live = await call(sim, 'POST', `/contacts/${target.id}/unarchive`);
      expect(live.body).toEqual(back.body);
      expect(sim.truth.log()).toHaveLength(logged + 2);
      expect(sim.stats().byRoute).toMatchObject({
        'POST /contacts/{id}/archive': 2,
        'POST /contacts/{id}/unarchive': 2,
      });
    });

    it('404s unknown, deleted and merged ids', async () => {
      const [removed, merged, into] = [contacts[10], contacts[11], contacts[12]] as Contact[];
      sim.mutate.remove('contacts', removed!.id);
      sim.mutate.merge(merged!.id, into!.id);
      for (const id of ['000000000000000000000000', 'nope', removed!.id, merged!.id]) {
        expectError(await call(sim, 'POST', `/contacts/${id}/archive`), 404, 'not_found');
        expectError(await call(sim, 'POST', `/contacts/${id}/unarchive`), 404, 'not_found');
      }
    });

    it('mutate.archive and mutate.unarchive do the same programmatically', async () => {
      const target = leads[1] as Contact;
      sim.mutate.archive(target.id);
      sim.mutate.archive(target.id);
      expect(sim.truth.archived('contacts')).toEqual([target.id]);
      expect((await call(sim, 'GET', `/contacts/${target.id}`)).status).toBe(404);
      expect(
        sim.truth
          .log()
          .filter((r) => r.id === target.id)
          .map((r) => r.op),
      ).toEqual(['d']);
      sim.clock.advance(1000);
      sim.mutate.unarchive(target.id);
      sim.mutate.unarchive(target.id);
      expect((await call(sim, 'GET', `/contacts/${target.id}`)).body).toEqual({
        ...target,
        updated_at: nowSec(sim),
      });
      expect(
        sim.truth
          .log()
          .filter((r) => r.id === target.id)
          .map((r) => r.op),
      ).toEqual(['d', 'c']);
      expect(() => sim.mutate.archive('000000000000000000000000')).toThrow(/no live contacts/);
    });
  });

  describe('GET /contacts/find_by_external_id/{external_id}', () => {
    it('finds live users only', async () => {
      const user = users[9] as Contact;
      const found = await call(sim, 'GET', `/contacts/find_by_external_id/${user.external_id}`);
      expect(found.status).toBe(200);
      expect(found.body).toEqual(user);
      expectError(await call(sim, 'GET', '/contacts/find_by_external_id/no-such-user'), 404, 'not_found');
      const lead = await call(sim, 'POST', '/contacts', { role: 'lead', external_id: 'lead/with slash' });
      expect(lead.status).toBe(200);
      const path = `/contacts/find_by_external_id/${encodeURIComponent('lead/with slash')}`;
      expectError(await call(sim, 'GET', path), 404, 'not_found');
      await call(sim, 'PUT', `/contacts/${lead.body.id}`, { role: 'user' });
      expect((await call(sim, 'GET', path)).body.id).toBe(lead.body.id);
      expect(sim.stats().byRoute['GET /contacts/find_by_external_id/{external_id}']).toBe(4);
    });
  });

  describe('like every route', () => {
    it('needs a token and a valid Intercom-Version, counts against the rate limit, takes faults', async () => {
      const ids = sim.truth.ids('contacts').length;
      const body = { external_id: 'guarded-1' };
      expectError(
        await call(sim, 'POST', '/contacts', body, { 'Intercom-Version': '2.14' }),
        401,
        'unauthorized',
      );
      expectError(
        await call(sim, 'POST', '/contacts', body, { ...API_HEADERS, 'Intercom-Version': '2.99' }),
        400,
        'intercom_version_invalid',
      );
      const target = users[1] as Contact;
      sim.faults.add({ kind: 'status', status: 503, match: { method: 'PUT' } });
      expectError(
        await call(sim, 'PUT', `/contacts/${target.id}`, { name: 'x' }),
        503,
        'service_unavailable',
      );
      expect(sim.truth.get('contacts', target.id)).toEqual(target);
      expect(sim.truth.ids('contacts')).toHaveLength(ids);

      sim.setRateLimit({ limit: 1, windowMs: 3_600_000 });
      const first = await call(sim, 'POST', '/contacts', body);
      expect(first.status).toBe(200);
      expect(first.headers.get('x-ratelimit-limit')).toBe('1');
      expectError(await call(sim, 'POST', `/contacts/${first.body.id}/archive`), 429, 'rate_limit_exceeded');
      expect(sim.truth.archived('contacts')).toEqual([]);
      sim.setRateLimit(null);

      const noVersion = await call(
        sim,
        'PUT',
        `/contacts/${first.body.id}`,
        { name: 'y' },
        {
          Authorization: API_HEADERS.Authorization,
        },
      );
      expect(noVersion.status).toBe(200);
      expect(sim.stats().missingVersion).toBe(1);
      expect(sim.stats().byRoute).toMatchObject({
        'POST /contacts': 3,
        'PUT /contacts/{id}': 2,
        'POST /contacts/{id}/archive': 1,
      });
    });
  });
});
