import { budgetedPreparer, ReadBudget } from '../../../src/capture/read-budget';
import { createPreparer } from '../../../src/capture/workers';
import {
  RELEASE,
  cursorListStyle,
  walkPages,
  type FetchJson,
  type JsonObject,
} from '../../../src/intercom/pagination';

/** Whether `p` settled by the time the microtasks queued now have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

describe('ReadBudget', () => {
  it('admits while the bytes held and reserved are under the limit, and again once an answer is released', async () => {
    const budget = new ReadBudget(200 * 1024);
    const first = await budget.admit(); // reserves the first estimate: 256 KiB
    const second = budget.admit();
    expect(await settled(second)).toBe(false); // 256 KiB of 200 reserved: the next waits
    const release = first.take(150 * 1024); // the answer weighs less than its reservation: under the limit
    expect(await settled(second)).toBe(true);
    const releaseSecond = (await second).take(100 * 1024);
    const third = budget.admit(); // 250 KiB held
    expect(await settled(third)).toBe(false);
    release();
    expect(await settled(third)).toBe(true);
    release(); // twice does nothing
    expect(budget.bytes).toBeLessThan(100 * 1024 + 256 * 1024);
    releaseSecond();
    (await third).cancel();
    expect(budget.bytes).toBe(0);
  });

  it('always admits a request when nothing is held, even one page larger than the whole budget', async () => {
    const budget = new ReadBudget(1);
    const a = await budget.admit();
    expect(budget.bytes).toBeGreaterThan(1);
    const b = budget.admit();
    expect(await settled(b)).toBe(false);
    a.cancel();
    expect(await settled(b)).toBe(true);
  });

  it('reserves what answers weigh on average', async () => {
    const budget = new ReadBudget(2 ** 30);
    for (let i = 0; i < 100; i++) {
      const admission = await budget.admit();
      admission.take(10_000)();
    }
    const next = await budget.admit();
    expect(budget.bytes).toBeLessThan(12_000); // near 10 kB, far from the first estimate of 256 KiB
    next.cancel();
  });

  it('refuses a budget that is not a positive number', () => {
    expect(() => new ReadBudget(0)).toThrow(/positive number of bytes/);
    expect(() => new ReadBudget(Number.NaN)).toThrow(/positive number of bytes/);
  });
});

describe('budgetedPreparer', () => {
  const page = { kind: 'page', stream: 'contacts', listKey: 'data' } as const;
  const text = JSON.stringify({ type: 'list', data: [{ type: 'contact', id: 'a', updated_at: 1 }] });

  it('holds a prepared page until its release, counts objects without gating them, and gives back what fails to prepare', async () => {
    const budget = new ReadBudget(1);
    const preparer = budgetedPreparer(createPreparer(0), budget);
    const complete = { kind: 'complete', stream: 'contacts', id: 'a', hash: 'h' } as const;
    expect(await preparer.admit(complete)).toBeUndefined(); // a completed list: not an answer of Intercom's
    const admission = await preparer.admit(page);
    const body = (await preparer.prepare(text, page, admission)) as { [RELEASE]: () => void };
    expect(budget.bytes).toBe(text.length);
    expect(Object.keys(body)).not.toContain(String(RELEASE)); // not a field of the answer
    body[RELEASE]();
    expect(budget.bytes).toBe(0);

    // An object read by id is counted from its arrival to its release, and never waits.
    const full = (await preparer.admit(page))!;
    const releaseFull = full.take(10);
    const object = { kind: 'object', stream: 'contacts', id: 'a', children: false } as const;
    const counted = await preparer.admit(object); // the budget of 1 byte is spent, and it goes
    const read = (await preparer.prepare(
      JSON.stringify({ type: 'contact', id: 'a', updated_at: 1 }),
      object,
      counted,
    )) as { [RELEASE]: () => void };
    expect(budget.bytes).toBeGreaterThan(10);
    read[RELEASE]();
    releaseFull();
    expect(budget.bytes).toBe(0);

    const again = await preparer.admit(page);
    expect(await preparer.prepare('not json', page, again)).toBeUndefined();
    expect(budget.bytes).toBe(0);
  });
});

describe('walkPages and the answers it holds', () => {
  /** A fetch whose answers each carry a release that counts. */
  function counted(pages: number): { fetch: FetchJson; released: number[] } {
    const released: number[] = [];
    let n = 0;
    const fetch: FetchJson = async () => {
      n += 1;
      const at = n;
      const body: JsonObject = {
        data: at <= pages ? [{ id: String(at) }] : [],
        pages: at < pages + 1 ? { next: { starting_after: `c${at}` } } : {},
      };
      Object.defineProperty(body, RELEASE, { value: () => released.push(at), enumerable: false });
      return body;
    };
    return { fetch, released };
  }

  it('releases each page once its caller asks for the next, and the last when the walk ends', async () => {
    const { fetch, released } = counted(3);
    const seen: number[][] = [];
    for await (const p of walkPages(fetch, cursorListStyle('/contacts'), 'data')) {
      void p;
      seen.push([...released]);
    }
    expect(seen).toEqual([[], [1], [1, 2]]); // a page is held while its caller has it
    expect(released.sort()).toEqual([1, 2, 3, 4]); // the empty page that ends the walk too
  });

  it('releases the page its caller holds and the prefetched one when the caller leaves the walk', async () => {
    const { fetch, released } = counted(10);
    let n = 0;
    for await (const p of walkPages(fetch, cursorListStyle('/contacts'), 'data')) {
      void p;
      if (++n === 3) break; // page 4 was asked for already
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(released.sort()).toEqual([1, 2, 3, 4]);
  });
});
