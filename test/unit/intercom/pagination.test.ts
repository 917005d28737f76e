import {
  cursorListStyle,
  pageNumberStyle,
  searchStyle,
  walkPages,
  type FetchJson,
  type JsonObject,
  type ListRetry,
  type Page,
  type PageRequest,
} from '../../../src/intercom/pagination';

/** A fetch that answers from a list of bodies and records the requests. */
function scripted(bodies: JsonObject[]): { fetch: FetchJson; requests: PageRequest[] } {
  const requests: PageRequest[] = [];
  const fetch: FetchJson = async (request) => {
    requests.push(request);
    const body = bodies.shift();
    if (!body) throw new Error('no more scripted answers');
    return body;
  };
  return { fetch, requests };
}

/** A list retry that records its waits instead of sleeping. */
function instantRetry(attempts = 3): ListRetry & { waits: number[] } {
  const waits: number[] = [];
  return {
    attempts,
    backoff: { minMs: 100, maxMs: 1000 },
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
    waits,
  };
}

async function collect<T>(pages: AsyncIterable<Page<T>>): Promise<Page<T>[]> {
  const out: Page<T>[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const cursorPage = (ids: string[], next?: string, total = 5): JsonObject => ({
  type: 'list',
  data: ids.map((id) => ({ id })),
  total_count: total,
  pages: { type: 'pages', per_page: 2, ...(next ? { next: { starting_after: next } } : {}) },
});

describe('search pagination', () => {
  it('sends the cursor in the body until there is none', async () => {
    const { fetch, requests } = scripted([
      cursorPage(['1', '2'], 'c1'),
      cursorPage(['3', '4'], 'c2'),
      cursorPage(['5']),
    ]);
    const query = { field: 'updated_at', operator: '>', value: 10 };
    const pages = await collect(
      walkPages(
        fetch,
        searchStyle('/contacts/search', query, {
          perPage: 2,
          sort: { field: 'updated_at', order: 'ascending' },
        }),
        'data',
      ),
    );
    expect(pages.flatMap((p) => p.items)).toEqual(['1', '2', '3', '4', '5'].map((id) => ({ id })));
    expect(pages[0].totalCount).toBe(5);
    expect(requests.map((r) => r.method)).toEqual(['POST', 'POST', 'POST']);
    expect(requests[0].body).toEqual({
      query,
      pagination: { per_page: 2 },
      sort: { field: 'updated_at', order: 'ascending' },
    });
    expect(requests[2].body).toMatchObject({ pagination: { per_page: 2, starting_after: 'c2' } });
  });

  it('stops with a typed error when a cursor comes back (A→B→A)', async () => {
    const { fetch } = scripted([
      cursorPage(['1'], 'A', 100),
      cursorPage(['2'], 'B', 100),
      cursorPage(['3'], 'A', 100),
    ]);
    const walk = collect(walkPages(fetch, searchStyle('/conversations/search', {}), 'data'));
    await expect(walk).rejects.toMatchObject({
      code: 'pagination_loop',
      kind: 'transient',
      route: '/conversations/search',
    });
  });

  it('takes total_count as a hint: a walk goes on past a total that is too low, to its last page', async () => {
    let n = 0;
    const fetch: FetchJson = async () =>
      ++n <= 40
        ? cursorPage([`x${n}`, `y${n}`], `cursor-${n}`, 10)
        : { type: 'list', data: [], total_count: 10 };
    const pages = await collect(walkPages(fetch, searchStyle('/contacts/search', {}), 'data'));
    expect(pages.flatMap((p) => p.items)).toHaveLength(80); // eight times what total_count said
  });

  it('stops a walk that never ends at the hard page cap', async () => {
    let n = 0;
    const fetch: FetchJson = async () => ({
      data: [{ id: n }],
      pages: { next: { starting_after: `c${++n}` } },
    });
    await expect(collect(walkPages(fetch, cursorListStyle('/contacts'), 'data', 25))).rejects.toMatchObject({
      code: 'pagination_runaway',
    });
    expect(n).toBe(26);
  });

  it('rejects an answer without the list as unexpected', async () => {
    const lacking = { type: 'list', contacts: [] };
    const { fetch } = scripted([lacking, lacking, lacking]);
    await expect(
      collect(walkPages(fetch, searchStyle('/contacts/search', {}), 'data', undefined, instantRetry())),
    ).rejects.toMatchObject({
      code: 'unexpected_response',
      kind: 'system',
    });
  });
});

describe('list pagination', () => {
  it('sends the cursor as starting_after in the query, with the caller query and per_page', async () => {
    const { fetch, requests } = scripted([cursorPage(['1'], 'c1'), cursorPage(['2'])]);
    await collect(
      walkPages(fetch, cursorListStyle('/contacts', { perPage: 50, query: { model: 'x' } }), 'data'),
    );
    expect(requests.map((r) => r.query)).toEqual([
      { model: 'x', per_page: 50, starting_after: undefined },
      { model: 'x', per_page: 50, starting_after: 'c1' },
    ]);
  });

  it('walks page numbers up to total_pages', async () => {
    const page = (n: number): JsonObject => ({ data: [{ id: n }], pages: { page: n, total_pages: 3 } });
    const { fetch, requests } = scripted([page(1), page(2), page(3)]);
    const pages = await collect(walkPages(fetch, pageNumberStyle('/articles'), 'data'));
    expect(pages).toHaveLength(3);
    expect(requests.map((r) => r.query?.page)).toEqual([1, 2, 3]);
    expect(requests[0].query?.per_page).toBe(150);
  });

  it('without total_pages, follows pages.next and stops at an empty page', async () => {
    const { fetch, requests } = scripted([
      { data: [{ id: 1 }], pages: { next: 'https://x/articles?page=2' } },
      { data: [], pages: { next: 'https://x/articles?page=3' } },
    ]);
    const pages = await collect(walkPages(fetch, pageNumberStyle('/articles'), 'data'));
    expect(pages).toHaveLength(1);
    expect(requests).toHaveLength(2);
  });
});

describe('a page answered without its list', () => {
  const withoutList = (next?: string): JsonObject => ({
    type: 'list',
    total_count: 5,
    pages: { type: 'pages', per_page: 2, ...(next ? { next: { starting_after: next } } : {}) },
  });

  it('is asked for again, and read when a later attempt carries the list', async () => {
    const retry = instantRetry();
    const { fetch, requests } = scripted([
      withoutList('c1'),
      cursorPage(['1', '2'], 'c1'),
      cursorPage(['3']),
    ]);
    const pages = await collect(walkPages(fetch, cursorListStyle('/contacts'), 'data', undefined, retry));
    expect(pages.flatMap((p) => p.items)).toEqual([{ id: '1' }, { id: '2' }, { id: '3' }]);
    expect(pages.some((p) => p.unread)).toBe(false);
    expect(requests.map((r) => r.query?.starting_after)).toEqual([undefined, undefined, 'c1']);
    expect(retry.waits).toEqual([50]); // the backoff's first ceiling (100 ms) at a draw of 0.5
  });

  it('after every attempt, is yielded unread with its request and body, and the walk goes on to the next page', async () => {
    const retry = instantRetry(3);
    const lacking = withoutList('c2');
    const { fetch, requests } = scripted([
      cursorPage(['1', '2'], 'c1'),
      lacking,
      lacking,
      lacking,
      cursorPage(['5']),
    ]);
    const pages = await collect(
      walkPages(fetch, searchStyle('/contacts/search', { field: 'x' }), 'data', undefined, retry),
    );
    expect(pages.map((p) => p.items.length)).toEqual([2, 0, 1]);
    const unread = pages[1]!.unread!;
    expect(unread.error).toMatchObject({
      code: 'page_without_list',
      kind: 'system',
      route: '/contacts/search',
    });
    expect(unread.error.message).toMatch(/without a "data" list 3 time\(s\) in a row/);
    expect(unread.copy).toEqual({ request: { method: 'POST', path: '/contacts/search' }, body: lacking });
    expect(
      requests.map((r) => (r.body as { pagination: { starting_after?: string } }).pagination.starting_after),
    ).toEqual([undefined, 'c1', 'c1', 'c1', 'c2']);
    expect(retry.waits).toHaveLength(2);
  });

  it('goes on by page number when the answer still says how many pages there are', async () => {
    const page = (n: number): JsonObject => ({ data: [{ id: n }], pages: { page: n, total_pages: 3 } });
    const lacking = { type: 'list', pages: { page: 2, total_pages: 3 } };
    const { fetch, requests } = scripted([page(1), lacking, lacking, page(3)]);
    const pages = await collect(
      walkPages(fetch, pageNumberStyle('/articles'), 'data', undefined, instantRetry(2)),
    );
    expect(pages.map((p) => p.items.length)).toEqual([1, 0, 1]);
    expect(pages[1]!.unread?.error.code).toBe('page_without_list');
    expect(requests.map((r) => r.query?.page)).toEqual([1, 2, 2, 3]);
  });

  it('ends the walk with a system error when the answer cannot tell which page comes next', async () => {
    const lacking = { type: 'list' };
    const { fetch } = scripted([cursorPage(['1'], 'c1'), lacking, lacking]);
    const seen: Page<unknown>[] = [];
    const walk = (async () => {
      for await (const p of walkPages(
        fetch,
        cursorListStyle('/contacts'),
        'data',
        undefined,
        instantRetry(2),
      ))
        seen.push(p);
    })();
    await expect(walk).rejects.toMatchObject({ code: 'unexpected_response', kind: 'system' });
    expect(seen).toHaveLength(1);
  });
});
