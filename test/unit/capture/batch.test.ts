import {
  ByteBudget,
  ChangeBatch,
  MAX_NOTED_IDS,
  MAX_SEALED_PARTS,
  type PartNotes,
} from '../../../src/capture/batch';
import type { Committer, TopicBatch } from '../../../src/capture/contracts';
import { StateStore } from '../../../src/kafka/state-store';

/** A committer that holds each transaction until the test lets it end (the unit under test is the batch's ordering). */
class HeldCommits implements Committer {
  readonly started: TopicBatch[][] = [];
  finished = 0;
  private readonly pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  commit(batches: TopicBatch[]): Promise<void> {
    this.started.push(batches);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  finish(error?: Error): void {
    const next = this.pending.shift()!;
    this.finished += 1;
    if (error) next.reject(error);
    else next.resolve();
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function batchWith(committer: Committer, maxMessages = 2) {
  const store = new StateStore('cdc');
  return { store, batch: new ChangeBatch(store, committer, 'dlq', 'state', maxMessages) };
}

describe('ChangeBatch', () => {
  it('writes the ids noted in a part in records of at most MAX_NOTED_IDS, in its transaction', async () => {
    const commits = new HeldCommits();
    const { batch } = batchWith(commits, 10 ** 9);
    const written: string[][] = [];
    const committed: string[][] = [];
    const notes: PartNotes = {
      record: (ids) => {
        written.push(ids);
        return { key: `notes#${written.length}`, value: JSON.stringify(ids) };
      },
      committed: (ids) => void committed.push(ids),
    };
    const ids = Array.from({ length: 2 * MAX_NOTED_IDS + 5 }, (_, i) => String(i));
    batch.setObject('contacts', 'a', { u: 1, h: 'x' });
    for (const id of ids) batch.note(notes, id);
    const flushed = batch.flush();
    await tick();
    expect(written.map((w) => w.length)).toEqual([MAX_NOTED_IDS, MAX_NOTED_IDS, 5]);
    expect(written.flat()).toEqual(ids);
    const state = commits.started[0]!.find((b) => b.topic === 'state')!.messages.map((m) => m.key);
    expect(state).toEqual(expect.arrayContaining(['notes#1', 'notes#2', 'notes#3']));
    expect(committed).toEqual([]); // not before the transaction ended
    commits.finish();
    await flushed;
    expect(committed).toEqual(written);
  });

  it('lets every walk see what is pending, committed or not, and tells the store only after the commit', async () => {
    const commits = new HeldCommits();
    const { store, batch } = batchWith(commits);
    batch.setObject('contacts', 'a', { u: 1, h: 'x' });
    batch.setObject('contacts', 'b', { u: 1, h: 'y' });
    await batch.flushIfFull(); // full: sealed and committing
    batch.setObject('contacts', 'a', { u: 2, h: 'z' });
    expect(batch.lookup('contacts', 'a')).toEqual({ u: 2, h: 'z' }); // the newest pending wins
    expect(batch.lookup('contacts', 'b')).toEqual({ u: 1, h: 'y' }); // from the part committing
    expect(store.object('contacts', 'b')).toBeUndefined();
    commits.finish();
    await tick();
    expect(store.object('contacts', 'b')).toEqual({ u: 1, h: 'y' });
    expect(batch.liveIds('contacts').sort()).toEqual(['a', 'b']);
  });

  it('commits parts in the order they were sealed, and flush resolves once all before it committed', async () => {
    const commits = new HeldCommits();
    const { batch } = batchWith(commits);
    batch.setObject('s', '1', { u: 1, h: '1' });
    batch.setObject('s', '2', { u: 1, h: '2' });
    await batch.flushIfFull();
    batch.setProgress('s', { watermark: 5, lastReconcile: null, snapshotDone: true });
    let flushed = false;
    const flush = batch.flush().then(() => (flushed = true));
    await tick();
    expect(commits.started).toHaveLength(1); // the second waits for the first
    commits.finish();
    await tick();
    expect(commits.started).toHaveLength(2);
    expect(flushed).toBe(false);
    commits.finish();
    await flush;
    const keys = commits.started.map((b) => b.find((t) => t.topic === 'state')!.messages.map((m) => m.key));
    expect(keys).toEqual([['cdc/s/1', 'cdc/s/2'], ['cdc/s']]);
  });

  it('holds back a walk once MAX_SEALED_PARTS full parts wait to commit, until the oldest has', async () => {
    const commits = new HeldCommits();
    const { batch } = batchWith(commits, 1);
    for (let i = 0; i < MAX_SEALED_PARTS; i++) {
      batch.setObject('s', String(i), { u: 1, h: String(i) });
      await batch.flushIfFull(); // the first commits, the others are sealed and wait: no hold-up yet
    }
    batch.setObject('s', 'next', { u: 1, h: 'next' });
    let returned = false;
    const held = batch.flushIfFull().then(() => (returned = true));
    await tick();
    expect(returned).toBe(false);
    commits.finish();
    await held;
    expect(returned).toBe(true);
  });

  it('fails every later flush once a commit failed, and never sends the parts behind it', async () => {
    const commits = new HeldCommits();
    const { store, batch } = batchWith(commits, 1);
    batch.setObject('s', '1', { u: 1, h: '1' });
    await batch.flushIfFull();
    batch.setObject('s', '2', { u: 1, h: '2' });
    const second = batch.flush();
    commits.finish(new Error('broker gone'));
    await expect(second).rejects.toThrow('broker gone');
    expect(commits.started).toHaveLength(1);
    expect(batch.failed).toBe(true);
    await expect(batch.flush()).rejects.toThrow('broker gone');
    await expect(batch.flushIfFull()).rejects.toThrow('broker gone');
    expect(store.object('s', '1')).toBeUndefined();
  });

  it('puts a part in one transaction: events by topic, then dead letters, then state; counts told after the commit', async () => {
    const commits = new HeldCommits();
    const store = new StateStore('cdc');
    const told: unknown[] = [];
    const batch = new ChangeBatch(store, commits, 'dlq', 'state', 100, (counts) => told.push(counts));
    batch.addEvents('cdc.tags', 'tags', 'c', [{ key: 'a', value: 'A' }]);
    batch.addEvents('cdc.tags', 'tags', 'd', [
      { key: 'b', value: 'B' },
      { key: 'b', value: null },
    ]);
    batch.setObject('tags', 'a', { u: null, h: 'h' });
    batch.deadLetter('tags', { key: 'x', value: 'bad' });
    expect(batch.size).toBe(5);
    const flushed = batch.flush();
    await tick();
    expect(commits.started[0]!.map((b) => [b.topic, b.messages.length])).toEqual([
      ['cdc.tags', 3],
      ['dlq', 1],
      ['state', 1],
    ]);
    expect(told).toEqual([]);
    commits.finish();
    await flushed;
    expect(told).toEqual([{ events: { tags: { c: 1, d: 1 } }, dlq: { tags: 1 } }]);
    expect(batch.size).toBe(0);
  });

  it('commits nothing for an empty flush, and settle waits for the commits under way without throwing', async () => {
    const commits = new HeldCommits();
    const { batch } = batchWith(commits, 1);
    await batch.flush();
    expect(commits.started).toHaveLength(0);
    batch.setObject('s', '1', { u: 1, h: '1' });
    await batch.flushIfFull();
    let settled = false;
    const settling = batch.settle().then(() => (settled = true));
    await tick();
    expect(settled).toBe(false);
    commits.finish(new Error('gone'));
    await settling;
    expect(batch.failed).toBe(true);
  });

  it('shows a pending delete as gone from the live ids, and a pending create as live', () => {
    const { store, batch } = batchWith(new HeldCommits(), 100);
    store.setObject('s', 'kept', { u: 1, h: 'k' });
    store.setObject('s', 'deleted', { u: 1, h: 'd' });
    batch.setObject('s', 'deleted', null);
    batch.setObject('s', 'created', { u: 2, h: 'c' });
    expect(batch.liveIds('s').sort()).toEqual(['created', 'kept']);
    expect(batch.lookup('s', 'deleted')).toBeUndefined();
  });
});

describe('ChangeBatch within a byte budget', () => {
  const big = (n: number) => ({ key: `k${n}`, value: Buffer.alloc(1000) });

  it('seals a part at the budget share of bytes, holds walks back while the budget is spent, and gives bytes back as parts commit', async () => {
    const commits = new HeldCommits();
    const budget = new ByteBudget(3_000); // parts of 600 bytes: each 1,002-byte message fills one
    const batch = new ChangeBatch(
      new StateStore('cdc'),
      commits,
      'dlq',
      'state',
      1_000_000,
      undefined,
      budget,
    );
    batch.addEvents('t', 's', 'c', [big(0)]);
    await batch.flushIfFull(); // sealed, committing
    batch.addEvents('t', 's', 'c', [big(1)]);
    await batch.flushIfFull(); // sealed, waiting: 2 parts, fewer than MAX_SEALED_PARTS
    batch.addEvents('t', 's', 'c', [big(2)]);
    expect(budget.spent).toBe(true);
    let returned = false;
    const held = batch.flushIfFull().then(() => (returned = true));
    await tick();
    expect(returned).toBe(false); // held back by bytes alone
    commits.finish(); // the oldest part commits: its bytes come back, the walk goes on
    await held;
    expect(commits.started.map((t) => t.find((b) => b.topic === 't')!.messages.length)).toEqual([1, 1]);
    commits.finish();
    await tick();
    commits.finish();
    await batch.flush();
    expect(budget.bytes).toBe(0);
  });

  it('lets a batch with nothing waiting seal its part though another batch spent the budget', async () => {
    const budget = new ByteBudget(3_000);
    const held = new HeldCommits();
    const hog = new ChangeBatch(new StateStore('cdc'), held, 'dlq', 'state', 1_000_000, undefined, budget);
    for (let i = 0; i < 4; i++) {
      hog.addEvents('t', 's', 'c', [big(i)]);
      void hog.flushIfFull().catch(() => undefined);
    }
    expect(budget.spent).toBe(true);
    const other = new HeldCommits();
    const batch = new ChangeBatch(new StateStore('cdc'), other, 'dlq', 'state', 1_000_000, undefined, budget);
    batch.addEvents('t', 's', 'c', [big(9)]);
    await batch.flushIfFull(); // returns: it has no part waiting, so it seals and goes on
    expect(other.started).toHaveLength(1);
  });

  it('gives back the bytes of a batch whose commit failed', async () => {
    const commits = new HeldCommits();
    const budget = new ByteBudget(100_000);
    const batch = new ChangeBatch(new StateStore('cdc'), commits, 'dlq', 'state', 1, undefined, budget);
    batch.addEvents('t', 's', 'c', [big(1)]);
    await batch.flushIfFull();
    batch.addEvents('t', 's', 'c', [big(2)]); // in the part being filled when the commit fails
    commits.finish(new Error('broker gone'));
    await batch.settle();
    expect(batch.failed).toBe(true);
    batch.addEvents('t', 's', 'c', [big(3)]); // after the failure: never counted
    expect(budget.bytes).toBe(0);
  });
});
