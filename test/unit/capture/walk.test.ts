/**
 * The walk loop and the sliced walk (README, "How it captures": Concurrency, Resumable first syncs), on
 * an in-memory Intercom.
 */
import { addDone, WHOLE, type Slice } from '../../../src/capture/slices';
import { listingSource, type PageSource } from '../../../src/capture/sources';
import { Walk } from '../../../src/capture/stream';
import { StopRequested, walkSlices, walkSource } from '../../../src/capture/walk';
import { STREAM_DEFS } from '../../../src/streams/definitions';
import contact from '../../fixtures/intercom/contacts.json';
import { CLOCK_MS, FakeIntercom, aTicket, captureOf, eventsOf } from './fakes';

const tick = () => new Promise((resolve) => setImmediate(resolve));
const DAY_S = 86_400;
const NOW_S = CLOCK_MS / 1000;

/** Every ticket search of the fake, as a source of pages. */
function ticketSearch(client: FakeIntercom): PageSource {
  return listingSource(client, 'tickets', STREAM_DEFS.tickets.listings[0]!, 'poll');
}

describe('walkSource', () => {
  it('resolves only once every fetch it started was decided on', async () => {
    const client = new FakeIntercom();
    client.put('/tickets', aTicket('1', 100, 200));
    const { capture } = captureOf('tickets', client);
    client.hold(); // the search copy is unknown to the state: it is fetched
    let done = false;
    const walking = walkSource(capture, ticketSearch(client), new Walk({ snapshot: false })).then(
      () => (done = true),
    );
    await tick();
    await tick();
    expect(client.heldCount).toBe(1);
    expect(done).toBe(false);
    client.release();
    await walking;
    expect(capture.lookup('1')).toBeDefined();
  });

  it('ends early when a page says so, and at a stop request between pages', async () => {
    const client = new FakeIntercom();
    for (let i = 1; i <= 9; i++) client.put('/tickets', aTicket(String(i), 100, 200));
    const { capture } = captureOf('tickets', client);
    const listing = listingSource(
      client,
      'tickets',
      { paging: 'cursor', path: '/tickets', listKey: 'tickets' },
      'poll',
    );
    const early = new Walk({ snapshot: true });
    expect(await walkSource(capture, listing, early, { onPage: () => true })).toBe(true);
    expect(early.counts.read).toBe(3); // one page of three

    const stop = new AbortController();
    const stopped = new Walk({ snapshot: true });
    const walking = walkSource(capture, listing, stopped, {
      signal: stop.signal,
      onRead: () => stop.abort(),
    });
    await expect(walking).rejects.toBeInstanceOf(StopRequested);
    expect(stopped.counts.read).toBe(3);
  });
});

describe('walkSlices', () => {
  /** Walks the whole stream in slices and returns what it read and the slices it reported done. */
  async function walkAll(stream: 'tickets' | 'contacts', client: FakeIntercom) {
    const { capture, committer } = captureOf(stream, client, { maxFetches: 64 });
    const walk = new Walk({ snapshot: true });
    const done: Slice[] = [];
    await walkSlices(capture, walk, {
      client,
      search: STREAM_DEFS[stream].search!,
      slices: [WHOLE],
      pagePriority: 'bulk',
      workers: 4,
      nowMs: CLOCK_MS,
      objectsPerSlice: 10,
      onSliceDone: (slice) => done.push(slice),
    });
    await capture.flush();
    return { walk, done, ids: eventsOf(committer, stream).map((e) => e.id) };
  }

  /** The done slices are disjoint and their union is the whole stream. */
  function expectExactCover(done: Slice[]): void {
    const units = (s: Slice) => (s.b ?? Number.MAX_SAFE_INTEGER) - s.a;
    expect(addDone([], WHOLE)).toEqual(
      done.reduce((merged, s) => addDone(merged, s), [] as [number, number][]),
    );
    expect(done.reduce((sum, s) => sum + units(s), 0)).toBe(units(WHOLE)); // no overlap
  }

  it('reads every object exactly once through slices of seconds that meet exactly, cut where they hold too many', async () => {
    const client = new FakeIntercom();
    const times = [1, 2, 3, 4, 5].flatMap((d) =>
      [0, 1, 1, 2, 3600, 7200, 7201].map((s) => NOW_S - d * DAY_S + s),
    );
    times.push(NOW_S, NOW_S - 0.5, 5); // the present second, and an object from 1970
    times.forEach((created, i) => client.put('/tickets', aTicket(`t${i}`, Math.floor(created), NOW_S)));
    const { walk, done, ids } = await walkAll('tickets', client);
    expect(ids.sort()).toEqual(times.map((_, i) => `t${i}`).sort());
    expect(walk.counts.read).toBe(times.length); // a probe that cuts its slice diffs nothing
    expect(done.length).toBeGreaterThan(4); // it was cut
    expectExactCover(done);
  });

  it('reads every contact exactly once through slices of whole days, which their search matches by day', async () => {
    const client = new FakeIntercom();
    const times = [0, 1, 2, 3, 10, 40, 41, 400].flatMap((d) =>
      [1, 43_200, 86_399].map((s) => (Math.floor(NOW_S / DAY_S) - d) * DAY_S + s),
    );
    times.forEach((created, i) =>
      client.put('/contacts', { ...contact, id: `c${i}`, created_at: created, updated_at: NOW_S }),
    );
    const { done, ids } = await walkAll('contacts', client);
    expect(ids.sort()).toEqual(times.map((_, i) => `c${i}`).sort());
    expect(done.length).toBeGreaterThan(2);
    expectExactCover(done);
  });

  it('takes total_count as a hint: a search that reports a billion for every query cuts a bounded number of slices', async () => {
    const client = new FakeIntercom();
    client.lyingTotal = 1_000_000_000;
    const times = [1, 2, 3].map((d) => NOW_S - d * DAY_S);
    times.forEach((created, i) => client.put('/tickets', aTicket(`t${i}`, created, NOW_S)));
    const { walk, done, ids } = await walkAll('tickets', client);
    expect(ids.sort()).toEqual(['t0', 't1', 't2']);
    expect(walk.counts.read).toBe(3);
    expect(done.length).toBeLessThanOrEqual(4 * 24 + 32); // 4 workers × 24, plus the last cut's pieces
    expectExactCover(done);
  });

  it('walks only the slices it is given (a resumed first sync)', async () => {
    const client = new FakeIntercom();
    client.put('/tickets', aTicket('old', 1_000, NOW_S));
    client.put('/tickets', aTicket('new', 3_000, NOW_S));
    const { capture, committer } = captureOf('tickets', client);
    await walkSlices(capture, new Walk({ snapshot: true }), {
      client,
      search: STREAM_DEFS.tickets.search!,
      slices: [{ a: 2_000, b: null }],
      pagePriority: 'bulk',
      workers: 2,
      nowMs: CLOCK_MS,
    });
    await capture.flush();
    expect(eventsOf(committer, 'tickets').map((e) => e.id)).toEqual(['new']);
  });
});
