import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CdcError } from '../errors';
import type { Problem } from '../normalize';
import type { PolicySettings } from '../normalize/policy';
import { compilePolicies, prepare, type Preparation } from './prepare';

/**
 * Where the capture's CPU work runs: the preparation of what Intercom sends (prepare.ts: JSON parsing,
 * canonical JSON and hashing, the typed mapping and its Avro encoding) on worker threads, so that every
 * core the pod may use works, while the main thread talks to Intercom and Kafka, diffs and commits.
 *
 * Order and decisions do not depend on the threads: a walk awaits each page's preparation before it
 * diffs that page and asks for the one after, every decision is taken on the main thread in the order
 * the walks ask for them, and the read sequence of each answer is taken when its request is issued.
 */
export interface Preparer {
  /** Worker threads (0: preparation runs inline, on the calling thread). */
  readonly threads: number;
  /**
   * The answer's text, prepared (see prepare.ts), or undefined when it is not a JSON object. Rejects with
   * CdcError `worker_failed` (transient) when the worker thread died while it held the answer (the
   * request is then retried like any failed read), or `closed` after close().
   */
  prepare(body: string | Uint8Array, how: Preparation): Promise<object | undefined>;
  /** Stops the worker threads; answers still held reject. */
  close(): Promise<void>;
}

/** What the main thread sends a worker: one answer to prepare. */
export interface WorkerRequest {
  id: number;
  /** The answer's text, or its UTF-8 bytes (transferred: the sender keeps nothing of them). */
  text: string | Uint8Array;
  how: Preparation;
}

/** What a worker sends back: the prepared body (its bytes in the transferred buffer), or a bug. */
export type WorkerReply =
  { id: number; body: object | undefined; error?: undefined } | { id: number; error: Problem };

/**
 * A preparer with `threads` worker threads, or inline (on the calling thread) when `threads` is 0.
 * `policy` is the field policy every answer is prepared under; each thread is given it when it starts
 * (as its workerData, never in a message or a log), secret included.
 */
export function createPreparer(
  threads: number,
  observer: PoolObserver = {},
  policy?: PolicySettings,
): Preparer {
  return threads > 0 ? new WorkerPool(threads, observer, policy) : inline(policy);
}

/** What the pool tells of its threads. */
export interface PoolObserver {
  /** A worker thread died (an out-of-memory error, a crash); a new one replaces it. */
  workerFailed?(error: Error): void;
}

/** Preparation on the calling thread. */
function inline(policy: PolicySettings | undefined): Preparer {
  const policies = compilePolicies(policy);
  return {
    threads: 0,
    prepare: (body, how) => {
      try {
        return Promise.resolve(prepare(body, how, undefined, policies));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    close: () => Promise.resolve(),
  };
}

interface Held {
  resolve(body: object | undefined): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  held: Map<number, Held>;
}

/**
 * Worker threads, each sent the next answer when it holds the fewest. A thread holds no reference on
 * the event loop while it holds no answer (an idle pool never keeps a process alive).
 */
class WorkerPool implements Preparer {
  private readonly pool: Thread[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    readonly threads: number,
    private readonly observer: PoolObserver,
    private readonly policy: PolicySettings | undefined,
  ) {
    for (let i = 0; i < threads; i++) this.pool.push(this.spawn());
  }

  prepare(body: string | Uint8Array, how: Preparation): Promise<object | undefined> {
    if (this.closed) return Promise.reject(closedError());
    let thread = this.pool[0]!;
    for (const t of this.pool) if (t.held.size < thread.held.size) thread = t;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (thread.held.size === 0) thread.worker.ref();
      thread.held.set(id, { resolve, reject });
      const text = typeof body === 'string' ? body : movable(body);
      const transfer = typeof text === 'string' ? [] : [text.buffer as ArrayBuffer];
      thread.worker.postMessage({ id, text, how } satisfies WorkerRequest, transfer);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const threads = this.pool.splice(0);
    for (const t of threads) this.release(t, closedError());
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private spawn(): Thread {
    const thread: Thread = { worker: startWorker(this.policy), held: new Map() };
    thread.worker.unref();
    thread.worker.on('message', (reply: WorkerReply) => {
      const held = thread.held.get(reply.id);
      if (!held) return;
      thread.held.delete(reply.id);
      if (thread.held.size === 0) thread.worker.unref();
      if (reply.error)
        held.reject(
          new CdcError(`capture worker: ${reply.error.message}`, { code: 'internal', kind: 'system' }),
        );
      else held.resolve(reply.body);
    });
    thread.worker.on('error', (error) => this.replace(thread, error));
    thread.worker.on('exit', (code) => this.replace(thread, new Error(`exited with code ${code}`)));
    return thread;
  }

  /** A thread died: what it held fails (transient: the reads are retried), and a new thread takes its place. */
  private replace(thread: Thread, cause: Error): void {
    const at = this.pool.indexOf(thread);
    if (at < 0) return; // replaced already (an error, then its exit), or closed
    const error = new CdcError(`a capture worker thread died: ${cause.message}`, {
      code: 'worker_failed',
      kind: 'transient',
      retriable: true,
      cause,
    });
    this.observer.workerFailed?.(error);
    this.pool[at] = this.spawn();
    this.release(thread, error);
    void thread.worker.terminate();
  }

  private release(thread: Thread, error: Error): void {
    const held = [...thread.held.values()];
    thread.held.clear();
    for (const h of held) h.reject(error);
  }
}

/**
 * Bytes that may be transferred: the view itself when it spans its whole ArrayBuffer (an HTTP body of
 * more than a few KiB has one of its own), else a copy (a small body in Node's shared buffer pool, whose
 * other bytes belong to others).
 */
function movable(bytes: Uint8Array): Uint8Array {
  const whole =
    bytes.buffer instanceof ArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength;
  return whole ? bytes : new Uint8Array(bytes);
}

function closedError(): CdcError {
  return new CdcError('the capture workers were closed', { code: 'closed', kind: 'system' });
}

/** What a worker thread is started with (its workerData). */
export interface WorkerStart {
  /** The field policy it prepares under (prepare-worker.ts compiles it once). */
  policy?: PolicySettings;
  /** Set when the project runs from source: the worker's TypeScript file and tsx's loader. */
  file?: string;
  tsx?: string;
}

/**
 * Starts a worker on prepare-worker: its compiled JavaScript in a build, or its TypeScript source
 * through tsx's loader when the project runs from source (tsx, jest).
 */
function startWorker(policy: PolicySettings | undefined): Worker {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `prepare-worker${ext}`);
  if (ext !== '.ts') return new Worker(file, { workerData: { policy } satisfies WorkerStart });
  return new Worker(
    `require(require('node:worker_threads').workerData.tsx).register(); require(require('node:worker_threads').workerData.file);`,
    {
      eval: true,
      workerData: { file, tsx: require.resolve('tsx/cjs/api'), policy } satisfies WorkerStart,
    },
  );
}
