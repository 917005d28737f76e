import type { RunningSimulator } from '../../../src/sim';

export interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export const API_HEADERS = { Authorization: 'Bearer test-token', 'Intercom-Version': '2.14' };

/** One request to the simulator over real HTTP; the body is parsed when it is JSON. */
export async function call(
  sim: Pick<RunningSimulator, 'url'>,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = API_HEADERS,
): Promise<Answer> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    redirect: 'manual',
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // keep the text: some faults answer non-JSON on purpose
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Walks a search to its end and returns every page's ids, following `pages.next.starting_after`. */
export async function searchAll(
  sim: Pick<RunningSimulator, 'url'>,
  path: string,
  query: unknown,
  key: string,
  perPage: number,
  between: (page: number) => void = () => undefined,
): Promise<string[][]> {
  const pages: string[][] = [];
  let startingAfter: string | undefined;
  do {
    const pagination = { per_page: perPage, ...(startingAfter ? { starting_after: startingAfter } : {}) };
    const answer = await call(sim, 'POST', path, { query, pagination });
    if (answer.status !== 200)
      throw new Error(`search answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    pages.push(answer.body[key].map((o: { id: string }) => o.id));
    startingAfter = answer.body.pages?.next?.starting_after;
    between(pages.length);
  } while (startingAfter);
  return pages;
}
