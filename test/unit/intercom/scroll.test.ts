import { IntercomError } from '../../../src/intercom/errors';
import type { FetchJson, Page, PageRequest } from '../../../src/intercom/pagination';
import { walkScroll } from '../../../src/intercom/scroll';
import { InstantTime, ScriptedWire, scriptedClient, type Answer } from './scripted-wire';

type Step = { data: { id: string }[]; scroll_param?: string } | IntercomError;

function scripted(steps: Step[]): { fetch: FetchJson; requests: PageRequest[] } {
  const requests: PageRequest[] = [];
  const fetch: FetchJson = async (request) => {
    requests.push(request);
    const step = steps.shift();
    if (!step) throw new Error('no more scripted answers');
    if (step instanceof IntercomError) throw step;
    return { type: 'list', ...step };
  };
  return { fetch, requests };
}

const http = (status: number, kind: 'transient' | 'config' | 'system'): IntercomError =>
  new IntercomError(`status ${status}`, { code: `s${status}`, kind, status });

async function collect(pages: AsyncIterable<Page<{ id: string }>>): Promise<Page<{ id: string }>[]> {
  const out: Page<{ id: string }>[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const sleeps: number[] = [];
const opts = {
  sleep: async (ms: number) => void sleeps.push(ms),
  busyWaitMs: 7,
  busyRetries: 2,
  maxRestarts: 2,
};

beforeEach(() => sleeps.splice(0));

describe('companies scroll', () => {
  it('follows scroll_param until an empty page, never retrying a continuation', async () => {
    const { fetch, requests } = scripted([
      { data: [{ id: 'a' }], scroll_param: 's' },
      { data: [{ id: 'b' }], scroll_param: 's' },
      { data: [] },
    ]);
    const pages = await collect(walkScroll(fetch, '/companies/scroll', 'data', opts));
    expect(pages.flatMap((p) => p.items.map((i) => i.id))).toEqual(['a', 'b']);
    expect(requests[0]).toEqual({ method: 'GET', path: '/companies/scroll' });
    expect(requests[1]).toEqual({
      method: 'GET',
      path: '/companies/scroll',
      query: { scroll_param: 's' },
      retryTransient: false,
    });
  });

  it('restarts from the beginning on a 500 and flags the restart, deduplicating nothing', async () => {
    const { fetch, requests } = scripted([
      { data: [{ id: 'a' }], scroll_param: 's1' },
      http(500, 'transient'),
      { data: [{ id: 'a' }], scroll_param: 's2' },
      { data: [{ id: 'b' }], scroll_param: 's2' },
      { data: [] },
    ]);
    const pages = await collect(walkScroll(fetch, '/companies/scroll', 'data', opts));
    expect(pages.flatMap((p) => p.items.map((i) => i.id))).toEqual(['a', 'a', 'b']);
    expect(pages.map((p) => p.restarted ?? false)).toEqual([false, true, false]);
    expect(requests[2].query).toBeUndefined();
  });

  it('gives up after maxRestarts', async () => {
    const page = { data: [{ id: 'a' }], scroll_param: 's' };
    const { fetch } = scripted([
      page,
      http(500, 'transient'),
      page,
      http(500, 'transient'),
      page,
      http(503, 'transient'),
    ]);
    await expect(collect(walkScroll(fetch, '/companies/scroll', 'data', opts))).rejects.toMatchObject({
      status: 503,
    });
  });

  it('waits a bounded number of times for another open scroll (400)', async () => {
    // The wait is the client's one retry (the outcome table's `busy` row), so the walk is reached
    // through a client whose wire answers 400 while "another scroll" is open.
    const time = new InstantTime();
    const busyAnswer: Answer = {
      status: 400,
      body: { type: 'error.list', errors: [{ code: 'scroll_exists' }] },
    };
    const scrollOf = (answers: Answer[]) => {
      const wire = new ScriptedWire(time, answers);
      const client = scriptedClient(time, wire, {
        sleep: opts.sleep,
        scroll: { busyWaitMs: opts.busyWaitMs, busyRetries: opts.busyRetries, maxRestarts: opts.maxRestarts },
      });
      return { wire, pages: client.scrollPages<{ id: string }>('/companies/scroll', 'data') };
    };
    const open = scrollOf([busyAnswer, busyAnswer, { status: 200, body: { data: [{ id: 'a' }] } }]);
    const pages = await collect(open.pages);
    expect(pages).toHaveLength(1);
    expect(sleeps).toEqual([7, 7]);
    const busy = scrollOf([busyAnswer]);
    await expect(collect(busy.pages)).rejects.toMatchObject({
      status: 400,
    });
    expect(busy.wire.sent).toHaveLength(opts.busyRetries + 1); // nothing retries on top of the client
  });

  it('does not restart on a config failure', async () => {
    const { fetch, requests } = scripted([{ data: [{ id: 'a' }], scroll_param: 's' }, http(401, 'config')]);
    await expect(collect(walkScroll(fetch, '/companies/scroll', 'data', opts))).rejects.toMatchObject({
      status: 401,
    });
    expect(requests).toHaveLength(2);
  });
});
