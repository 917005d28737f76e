import { RELEASE } from '../intercom/pagination';
import type { Preparation } from './prepare';
import type { Preparer } from './workers';

/**
 * The byte budget of the pages a capture reads (README, "How it captures"): the answers of page requests
 * from the moment they take a place on the wire until the walk that asked for them is done with them
 * (it diffed the page and asked for the next, or ended), prefetched pages included. A page request
 * waits for room before it goes out, so the pages held (in flight, prepared and waiting, being diffed)
 * stay near `limitBytes` whatever the size of the objects: with large objects fewer pages are in
 * flight, instead of more memory.
 *
 * How it counts:
 * - A page request is admitted while the bytes held and reserved are under the limit, or when nothing
 *   is held at all (a single page larger than the budget still goes). It reserves the size of an
 *   average page answer (a moving average of the answers seen), since its size is known only once it
 *   arrives; the answer then holds its real size instead.
 * - The prepared page carries a release function under {@link RELEASE}; walkPages (and the scroll's
 *   walk) calls it once its caller is done with the page, or when it drops a page (an answer without its
 *   list that is asked for again, the prefetch of a walk that ends); an unpaginated list is released
 *   once its items are taken. Releasing twice does nothing.
 * - An object read by id (with its parts) is counted from its arrival until the stream decided on it
 *   (StreamCapture releases it), but not gated: a page being diffed waits for such reads, so gating them
 *   too could leave every walk waiting on another. Large objects held thus make page requests wait, which
 *   starts fewer reads by id; those in flight are bounded by the fetches a stream runs at once.
 * The bytes are those of the answers as Intercom sent them; the readings made of them (canonical JSON
 * and Avro bytes) hold about twice as much.
 */
export class ReadBudget {
  private held = 0;
  private reserved = 0;
  /** Moving average of a page answer's bytes: what an admitted page reserves. */
  private averagePage = INITIAL_PAGE_BYTES;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limitBytes: number) {
    if (!Number.isFinite(limitBytes) || limitBytes < 1)
      throw new RangeError(`the read budget must be a positive number of bytes, got ${limitBytes}`);
  }

  /** Bytes of page answers held and reserved now. */
  get bytes(): number {
    return this.held + this.reserved;
  }

  /**
   * Waits for room for one page answer and reserves it; resolves the admission that `prepare` takes (or
   * `cancel` gives back when the request ends without an answer to prepare). Room: less than the limit
   * held and reserved (with nothing held there is always room: the limit is at least one byte).
   */
  async admit(): Promise<Admission> {
    while (this.bytes >= this.limitBytes) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.admission(this.averagePage, true);
  }

  /**
   * An admission that neither waits nor reserves: the answer is counted once it arrives, until released
   * (an object read by id, which a page being diffed may wait for: see the class contract).
   */
  counted(): Admission {
    return this.admission(0, false);
  }

  /** An admission reserving `reserved` bytes; a page's answer also moves the average page. */
  private admission(reserved: number, page: boolean): Admission {
    this.reserved += reserved;
    let open = true;
    const close = (): boolean => {
      if (!open) return false;
      open = false;
      this.reserved -= reserved;
      return true;
    };
    return {
      take: (actual) => {
        if (!close()) return () => undefined;
        this.held += actual;
        if (page) this.averagePage += AVERAGE_WEIGHT * (actual - this.averagePage);
        this.wake(); // the answer may weigh less than its reservation
        let held = true;
        return () => {
          if (!held) return;
          held = false;
          this.held -= actual;
          this.wake();
        };
      },
      cancel: () => {
        if (close()) this.wake();
      },
    };
  }

  private wake(): void {
    while (this.waiting.length > 0 && this.bytes < this.limitBytes) this.waiting.shift()!();
  }
}

/** A page request's place in the budget, from admission to its answer. */
export interface Admission {
  /**
   * The answer arrived with `bytes`: they are held (instead of the reservation) until the returned
   * release is called (once; later calls, and a second take, do nothing).
   */
  take(bytes: number): () => void;
  /** The request ended without an answer to prepare: the reservation is given back. */
  cancel(): void;
}

/** What a page is assumed to hold before any was seen: 150 contacts of about 1.6 KB. */
const INITIAL_PAGE_BYTES = 256 * 1024;
/** Weight of the newest answer in the average. */
const AVERAGE_WEIGHT = 0.1;

/**
 * The safety net behind the walks' releases: a prepared page that was dropped without its release (a
 * path that does not know of the budget) gives its bytes back once it is garbage, so that a forgotten
 * release costs budget for a while, never for good. The walks release at once; this is not how the
 * budget is meant to empty.
 */
const forgotten = new FinalizationRegistry<() => void>((release) => release());

/** Default budget: MAX_READ_BYTES. */
export const DEFAULT_READ_BYTES = 32 * 2 ** 20;

/**
 * The chain's body preparer (BodyPreparer in src/intercom/chain.ts) over `preparer`, with page answers
 * held in `budget`: `admit` gates page requests (and counts objects read by id), `prepare` marks the
 * prepared answer with its release.
 */
export function budgetedPreparer(
  preparer: Preparer,
  budget: ReadBudget,
): {
  admit(how: unknown): Promise<Admission | undefined>;
  prepare(body: string | Uint8Array, how: unknown, admission?: Admission): Promise<object | undefined>;
} {
  return {
    admit: (how) => {
      const kind = (how as Preparation).kind;
      if (kind === 'page') return budget.admit();
      return Promise.resolve(kind === 'object' ? budget.counted() : undefined);
    },
    prepare: async (body, how, admission) => {
      if (!admission) return preparer.prepare(body, how as Preparation);
      const release = admission.take(typeof body === 'string' ? body.length : body.byteLength);
      let prepared: object | undefined;
      try {
        prepared = await preparer.prepare(body, how as Preparation);
      } catch (error) {
        release();
        throw error;
      }
      if (prepared === undefined) release();
      else {
        Object.defineProperty(prepared, RELEASE, { value: release, enumerable: false });
        forgotten.register(prepared, release);
      }
      return prepared;
    },
  };
}
