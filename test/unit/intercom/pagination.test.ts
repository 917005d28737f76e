import {
  cursorListStyle,
  pageNumberStyle,
  searchStyle,
  walkPages,
  type FetchJson,
  type JsonObject,
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
    const { fetch } = scripted([{ type: 'list', contacts: [] }]);
    await expect(
      collect(walkPages(fetch, searchStyle('/contacts/search', {}), 'data')),
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
