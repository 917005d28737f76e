import OpenAPIResponseValidator from 'openapi-response-validator';
import { type RunningSimulator, startSimulator } from '../../../src/sim';
import { readOpenApi } from '../../helpers/openapi';
import { type Answer, call } from './helpers';

/**
 * Every endpoint of the simulator, its data pages and its error bodies (400, 401, 404, 429, 500),
 * validated against the response schemas of Intercom's official OpenAPI file, read from there.
 * Statuses an operation does not declare (429 everywhere, 404 on lists) are checked against the
 * file's `error` schema, the body Intercom documents for all errors.
 */

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};

const ERROR_RESPONSE = {
  content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } },
};

/**
 * `{$ref, nullable: true}` and a typeless `nullable: false` are valid OpenAPI 3.0 that the validator
 * leaves untranslated (Ajv then refuses the schema): rewrite the first as "the reference or null",
 * and drop the second, which states the default.
 */
function nullableRefs(schema: unknown): void {
  if (Array.isArray(schema)) return schema.forEach(nullableRefs);
  if (typeof schema !== 'object' || schema === null) return;
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string' && s.nullable === true) {
    s.anyOf = [{ $ref: s.$ref }, { type: 'null' }];
    delete s.$ref;
    delete s.nullable;
  }
  if (s.nullable === false && s.type === undefined) delete s.nullable;
  Object.values(s).forEach(nullableRefs);
}

const spec = readOpenApi<Doc>('the OpenAPI validation tests of the simulator');

(spec ? describe : describe.skip)('simulator responses match the official OpenAPI 2.14 schemas', () => {
  let doc: Doc;
  let sim: RunningSimulator;
  const validators = new Map<string, OpenAPIResponseValidator>();
  const checked = new Map<string, Set<number>>();

  beforeAll(async () => {
    doc = spec!;
    nullableRefs(doc.components.schemas);
    sim = await startSimulator({
      seed: 11,
      size: { contacts: 260, companies: 70, conversations: 60, tickets: 40 },
    });
    // Mutations first, so created, updated, redacted and merged objects are validated too.
    sim.clock.advance(60_000);
    sim.mutate.random(300);
    const conversation = sim.truth.ids('conversations')[0] as string;
    sim.mutate.update('conversations', conversation);
    const part = sim.truth.ids('conversation_parts')[0] as string;
    sim.mutate.update('conversation_parts', part);
  });
  afterAll(() => sim?.close());

  function validator(template: string, method: string): OpenAPIResponseValidator {
    const key = `${method} ${template}`;
    let v = validators.get(key);
    if (!v) {
      const operation = doc.paths[template]?.[method.toLowerCase()];
      if (!operation) throw new Error(`${key} is not in the OpenAPI file`);
      const responses: Record<string, unknown> = { ...operation.responses };
      for (const status of ['400', '401', '404', '409', '429', '500']) responses[status] ??= ERROR_RESPONSE;
      v = new OpenAPIResponseValidator({
        responses: responses as never,
        components: doc.components as never,
      });
      validators.set(key, v);
    }
    return v;
  }

  async function expectValid(
    template: string,
    method: string,
    answer: Promise<Answer> | Answer,
  ): Promise<Answer> {
    const a = await answer;
    const errors = validator(template, method).validateResponse(a.status, a.body);
    expect({ template, status: a.status, errors: errors?.errors ?? [] }).toEqual({
      template,
      status: a.status,
      errors: [],
    });
    const statuses = checked.get(`${method} ${template}`) ?? new Set<number>();
    statuses.add(a.status);
    checked.set(`${method} ${template}`, statuses);
    return a;
  }

  /** Follows cursor pages of a GET list to the end, validating each page. */
  async function walkCursor(template: string, url: string): Promise<number> {
    let next: string | undefined;
    let pages = 0;
    do {
      const sep = url.includes('?') ? '&' : '?';
      const a = await expectValid(
        template,
        'GET',
        call(sim, 'GET', next ? `${url}${sep}starting_after=${encodeURIComponent(next)}` : url),
      );
      expect(a.status).toBe(200);
      next = a.body.pages?.next?.starting_after;
      pages++;
    } while (next);
    return pages;
  }

  it('GET /me, /admins, /teams, /tags, /segments, /data_attributes', async () => {
    await expectValid('/me', 'GET', call(sim, 'GET', '/me'));
    for (const p of ['/admins', '/teams', '/tags', '/segments']) {
      const a = await expectValid(p, 'GET', call(sim, 'GET', p));
      expect(a.status).toBe(200);
    }
    await expectValid('/segments', 'GET', call(sim, 'GET', '/segments?include_count=true'));
    for (const model of ['contact', 'company', 'conversation']) {
      await expectValid('/data_attributes', 'GET', call(sim, 'GET', `/data_attributes?model=${model}`));
    }
    const admin = sim.truth.ids('admins')[0];
    await expectValid('/admins/{admin_id}', 'GET', call(sim, 'GET', `/admins/${admin}`));
  });

  it('contacts: every list page, GET by id, its tags, search pages', async () => {
    expect(await walkCursor('/contacts', '/contacts?per_page=150')).toBeGreaterThan(1);
    const id = sim.truth.ids('contacts')[5];
    await expectValid('/contacts/{contact_id}', 'GET', call(sim, 'GET', `/contacts/${id}`));
    for (const contact of sim.truth.ids('contacts').slice(0, 30)) {
      const tags = call(sim, 'GET', `/contacts/${contact}/tags`);
      expect((await expectValid('/contacts/{contact_id}/tags', 'GET', tags)).status).toBe(200);
    }
    const noContact = call(sim, 'GET', '/contacts/000000000000000000000000/tags');
    expect((await expectValid('/contacts/{contact_id}/tags', 'GET', noContact)).status).toBe(404);
    for (const list of ['companies', 'notes', 'segments']) {
      for (const contact of sim.truth.ids('contacts').slice(0, 10)) {
        const answer = call(sim, 'GET', `/contacts/${contact}/${list}`);
        expect((await expectValid(`/contacts/{contact_id}/${list}`, 'GET', answer)).status).toBe(200);
      }
      const none = call(sim, 'GET', `/contacts/000000000000000000000000/${list}`);
      expect((await expectValid(`/contacts/{contact_id}/${list}`, 'GET', none)).status).toBe(404);
    }
    let next: string | undefined;
    do {
      const body = {
        query: { field: 'created_at', operator: '>', value: 0 },
        pagination: { per_page: 100, starting_after: next },
      };
      const a = await expectValid('/contacts/search', 'POST', call(sim, 'POST', '/contacts/search', body));
      expect(a.body.data.length).toBeGreaterThan(0);
      next = a.body.pages.next?.starting_after;
    } while (next);
  });

  it('contact writes: create, update, archive, unarchive, find by external id, and their errors', async () => {
    const admin = Number(sim.truth.ids('admins')[0]);
    const created = await expectValid(
      '/contacts',
      'POST',
      call(sim, 'POST', '/contacts', {
        external_id: 'openapi-1',
        email: 'openapi@example.com',
        name: 'Open Api',
        avatar: 'https://example.com/a.png',
        owner_id: admin,
        signed_up_at: 1_700_000_000,
        custom_attributes: { plan: 'pro', seats: 2, vip: false, nps: 9.5, trial_ends_at: '2026-03-01' },
      }),
    );
    expect(created.status).toBe(200);
    const id = created.body.id as string;
    expect(
      (await expectValid('/contacts', 'POST', call(sim, 'POST', '/contacts', { external_id: 'openapi-1' })))
        .status,
    ).toBe(409);
    expect((await expectValid('/contacts', 'POST', call(sim, 'POST', '/contacts', { name: 1 }))).status).toBe(
      400,
    );
    const template = '/contacts/{contact_id}';
    expect(
      (
        await expectValid(
          template,
          'PUT',
          call(sim, 'PUT', `/contacts/${id}`, { name: null, phone: '+1555' }),
        )
      ).status,
    ).toBe(200);
    const generated = sim.truth.ids('contacts')[7];
    expect((await expectValid(template, 'PUT', call(sim, 'PUT', `/contacts/${generated}`, {}))).status).toBe(
      200,
    );
    expect((await expectValid(template, 'PUT', call(sim, 'PUT', '/contacts/nope', {}))).status).toBe(404);
    const byExternal = '/contacts/find_by_external_id/{external_id}';
    expect(
      (await expectValid(byExternal, 'GET', call(sim, 'GET', '/contacts/find_by_external_id/openapi-1')))
        .status,
    ).toBe(200);
    expect(
      (await expectValid(byExternal, 'GET', call(sim, 'GET', '/contacts/find_by_external_id/none'))).status,
    ).toBe(404);
    for (const op of ['archive', 'unarchive']) {
      const a = await expectValid(
        `/contacts/{contact_id}/${op}`,
        'POST',
        call(sim, 'POST', `/contacts/${id}/${op}`),
      );
      expect(a.body).toEqual({ type: 'contact', id, external_id: 'openapi-1', archived: op === 'archive' });
      const missing = call(sim, 'POST', `/contacts/000000000000000000000000/${op}`);
      expect((await expectValid(`/contacts/{contact_id}/${op}`, 'POST', missing)).status).toBe(404);
    }
  });

  it('conversations: list pages, each conversation with its parts, search', async () => {
    await walkCursor('/conversations', '/conversations?per_page=25');
    for (const id of sim.truth.ids('conversations')) {
      await expectValid('/conversations/{conversation_id}', 'GET', call(sim, 'GET', `/conversations/${id}`));
    }
    const body = {
      query: { operator: 'AND', value: [{ field: 'updated_at', operator: '>', value: 0 }] },
      pagination: { per_page: 150 },
    };
    const a = await expectValid(
      '/conversations/search',
      'POST',
      call(sim, 'POST', '/conversations/search', body),
    );
    expect(a.body.conversations.length).toBeGreaterThan(0);
  });

  it('tickets: search and GET by id', async () => {
    const body = { query: { field: 'created_at', operator: '>', value: 0 }, pagination: { per_page: 150 } };
    const a = await expectValid('/tickets/search', 'POST', call(sim, 'POST', '/tickets/search', body));
    expect(a.body.tickets.length).toBeGreaterThan(0);
    await expectValid('/tickets/{ticket_id}', 'GET', call(sim, 'GET', `/tickets/${a.body.tickets[0].id}`));
  });

  it('articles and collections: every numbered page', async () => {
    for (const [template, count] of [
      ['/articles', 25],
      ['/help_center/collections', 5],
    ] as const) {
      for (let page = 1; page <= Math.ceil(count / 10) + 1; page++) {
        await expectValid(template, 'GET', call(sim, 'GET', `${template}?per_page=10&page=${page}`));
      }
    }
  });

  it('articles and collections: GET by id, and 404 once gone', async () => {
    for (const [stream, template, path] of [
      ['articles', '/articles/{article_id}', '/articles'],
      ['help_center_collections', '/help_center/collections/{collection_id}', '/help_center/collections'],
    ] as const) {
      const [first, second] = sim.truth.ids(stream);
      sim.mutate.update(stream, first as string);
      for (const id of [first, second]) {
        const a = await expectValid(template, 'GET', call(sim, 'GET', `${path}/${id}`));
        expect(a.status).toBe(200);
        expect(a.body).toMatchObject({ id });
      }
      sim.mutate.remove(stream, second as string);
      const gone = await expectValid(template, 'GET', call(sim, 'GET', `${path}/${second}`));
      expect(gone.status).toBe(404);
      expect(gone.body.errors[0].code).toBe('not_found');
    }
  });

  it('companies: list, list by last request, the whole scroll and GET by id', async () => {
    await expectValid('/companies', 'GET', call(sim, 'GET', '/companies?per_page=50&page=2'));
    await expectValid('/companies/list', 'POST', call(sim, 'POST', '/companies/list?per_page=50&order=asc'));
    let param: string | undefined;
    let size: number;
    do {
      const a = await expectValid(
        '/companies/scroll',
        'GET',
        call(sim, 'GET', `/companies/scroll${param ? `?scroll_param=${param}` : ''}`),
      );
      param = a.body.scroll_param;
      size = a.body.data.length;
    } while (size > 0);
    await expectValid(
      '/companies/{company_id}',
      'GET',
      call(sim, 'GET', `/companies/${sim.truth.ids('companies')[0]}`),
    );
  });

  it('error bodies: 401 on every endpoint, 400, 404, 429, 500', async () => {
    const anonymous = { 'Intercom-Version': '2.14' };
    const endpoints: [string, string, string][] = [
      ['/me', 'GET', '/me'],
      ['/admins', 'GET', '/admins'],
      ['/contacts', 'GET', '/contacts'],
      ['/contacts/search', 'POST', '/contacts/search'],
      ['/conversations', 'GET', '/conversations'],
      ['/conversations/search', 'POST', '/conversations/search'],
      ['/tickets/search', 'POST', '/tickets/search'],
      ['/articles', 'GET', '/articles'],
      ['/help_center/collections', 'GET', '/help_center/collections'],
      ['/companies/scroll', 'GET', '/companies/scroll'],
      ['/teams', 'GET', '/teams'],
      ['/tags', 'GET', '/tags'],
      ['/segments', 'GET', '/segments'],
      ['/data_attributes', 'GET', '/data_attributes'],
    ];
    for (const [template, method, url] of endpoints) {
      const a = await expectValid(
        template,
        method,
        call(sim, method, url, method === 'POST' ? {} : undefined, anonymous),
      );
      expect(a.status).toBe(401);
    }
    const bad = { query: { field: 'updated_at', operator: '>=', value: 1 } };
    expect(
      (await expectValid('/contacts/search', 'POST', call(sim, 'POST', '/contacts/search', bad))).status,
    ).toBe(400);
    expect(
      (await expectValid('/conversations/{conversation_id}', 'GET', call(sim, 'GET', '/conversations/1')))
        .status,
    ).toBe(404);

    sim.faults.add({ kind: 'status', status: 500, match: { path: '/companies/scroll' } });
    expect(
      (await expectValid('/companies/scroll', 'GET', call(sim, 'GET', '/companies/scroll'))).status,
    ).toBe(500);

    sim.setRateLimit({ limit: 1, windowMs: 3_600_000 });
    try {
      await call(sim, 'GET', '/me');
      const limited = await expectValid('/contacts', 'GET', call(sim, 'GET', '/contacts'));
      expect(limited.status).toBe(429);
      expect(limited.body.errors[0].code).toBe('rate_limit_exceeded');
    } finally {
      sim.setRateLimit(null);
    }
  });

  it('has teeth: a response with an invalid timestamp fails the same validation', async () => {
    sim.faults.add({ kind: 'badTimestamp', field: 'updated_at', match: { path: '/contacts' } });
    const a = await call(sim, 'GET', '/contacts?per_page=3');
    const errors = validator('/contacts', 'GET').validateResponse(a.status, a.body)?.errors ?? [];
    expect(errors.map((e: { path?: string }) => e.path)).toEqual([
      'data/0/updated_at',
      'data/1/updated_at',
      'data/2/updated_at',
    ]);
  });

  it('covered every operation the simulator serves', () => {
    expect([...checked.keys()].sort()).toEqual(
      [
        'GET /me',
        'GET /admins',
        'GET /admins/{admin_id}',
        'GET /teams',
        'GET /tags',
        'GET /segments',
        'GET /data_attributes',
        'GET /contacts',
        'GET /contacts/{contact_id}',
        'GET /contacts/{contact_id}/tags',
        'GET /contacts/{contact_id}/companies',
        'GET /contacts/{contact_id}/notes',
        'GET /contacts/{contact_id}/segments',
        'POST /contacts/search',
        'POST /contacts',
        'PUT /contacts/{contact_id}',
        'POST /contacts/{contact_id}/archive',
        'POST /contacts/{contact_id}/unarchive',
        'GET /contacts/find_by_external_id/{external_id}',
        'GET /conversations',
        'GET /conversations/{conversation_id}',
        'POST /conversations/search',
        'POST /tickets/search',
        'GET /tickets/{ticket_id}',
        'GET /articles',
        'GET /articles/{article_id}',
        'GET /help_center/collections',
        'GET /help_center/collections/{collection_id}',
        'GET /companies',
        'POST /companies/list',
        'GET /companies/scroll',
        'GET /companies/{company_id}',
      ].sort(),
    );
  });
});
