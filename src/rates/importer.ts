/**
 * The rate-deck import pipeline: the deck is parsed, validated and packed in a Piscina worker
 * (merged into the group's current rows in merge mode), stored in one transaction, and only then
 * swapped into the account book whole. A call in progress keeps the row it was authorized with;
 * a refused deck (any bad row) changes nothing, neither in the store nor for new calls.
 */
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { RateGroup, type AccountBook, type PackedRates, type RateDeckError } from '../billing/index.js';
import type { Store } from '../store/index.js';
import { createError } from '../util/errors.js';
import { monotonicMs } from '../util/time.js';
import { componentLogger } from '../util/log.js';
import { replaceStoredGroup, replaceStoredGroupFrom } from './rate-store.js';
import type { StoreTuple } from './tuple.js';
import type { RateDeckMessage, RateDeckOutcome, RateDeckTask } from '../../workers/rate-deck.js';

const log = componentLogger('rates');
const WORKER_URL = new URL('../../workers/rate-deck.js', import.meta.url);

export const RatesErrors = {
  /** The deck has bad rows; `details.errors` lists them (line, reason). */
  deckRefused: createError('SSW_ERR_RATES_DECK_REFUSED', 400),
  busy: createError('SSW_ERR_RATES_IMPORT_BUSY', 409),
  badName: createError('SSW_ERR_RATES_BAD_NAME', 400),
  noStore: createError('SSW_ERR_RATES_NO_STORE', 503),
  failed: createError('SSW_ERR_RATES_IMPORT_FAILED', 500),
} as const;

export type ImportMode = 'replace' | 'merge';
export type ImportPhase = 'queued' | 'validating' | 'storing' | 'swapping' | 'done' | 'refused' | 'failed';

/** What an import job shows while it runs and after. */
export interface ImportStatus {
  readonly id: string;
  readonly group: string;
  readonly mode: ImportMode;
  readonly phase: ImportPhase;
  /** Data lines in the deck (known once the worker has counted them; 0 before). */
  readonly totalLines: number;
  readonly rowsRead: number;
  /** Rows of the group after the import (deck rows, plus the kept rows in merge mode). */
  readonly rowsTotal: number;
  readonly rowsStored: number;
  readonly errors: readonly RateDeckError[];
  /** Set when the import failed for another reason than bad rows (the store refused, ...). */
  readonly message: string | null;
  /** Wall clock, epoch ms. */
  readonly startedAt: number;
  readonly finishedAt: number | null;
  /** Monotonic duration so far (or in total), ms. */
  readonly elapsedMs: number;
  /** Milliseconds of the worker's parse + validate + pack. */
  readonly workerMs: number | null;
}

export interface RateImporterOptions {
  readonly store: Store;
  readonly book: AccountBook;
  /** Bad rows reported at most (the deck is refused either way); default 100. */
  readonly maxErrors?: number;
  /** Finished jobs kept for GET; default 50. */
  readonly keepJobs?: number;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Throws SSW_ERR_RATES_BAD_NAME unless `name` is 1-64 of [A-Za-z0-9_.-]. */
export function checkGroupName(name: string): void {
  if (!NAME.test(name)) throw RatesErrors.badName(`rate group name must be 1-64 of A-Z a-z 0-9 _ . -, got ${JSON.stringify(name.slice(0, 80))}`);
}

interface Job {
  status: ImportStatus;
  readonly startMono: number;
  readonly done: Promise<ImportStatus>;
}

/** Runs rate-deck imports (one at a time per group) and keeps their status for the API. */
export class RateImporter {
  readonly #store: Store;
  readonly #book: AccountBook;
  readonly #maxErrors: number;
  readonly #keep: number;
  readonly #jobs = new Map<string, Job>();
  readonly #busy = new Set<string>();
  #pool: Piscina | null = null;
  #seq = 0;

  constructor(o: RateImporterOptions) {
    this.#store = o.store;
    this.#book = o.book;
    this.#maxErrors = o.maxErrors ?? 100;
    this.#keep = o.keepJobs ?? 50;
  }

  /**
   * Starts an import (a deck of 1 MB or more that fills its own ArrayBuffer is moved to the
   * worker: the caller must not use `csv` afterwards); the returned job's `done` settles when it is over (never rejects: a refused
   * or failed import is a status). Throws SSW_ERR_RATES_IMPORT_BUSY if the group is importing.
   */
  start(group: string, csv: Uint8Array, mode: ImportMode = 'replace', onUpdate?: (s: ImportStatus) => void): { id: string; done: Promise<ImportStatus> } {
    checkGroupName(group);
    if (this.#busy.has(group)) throw RatesErrors.busy(`rate group ${group} is already importing a deck`);
    this.#busy.add(group);
    const id = `imp-${Date.now().toString(36)}-${(++this.#seq).toString(36)}`;
    const startMono = monotonicMs();
    const job: Job = {
      startMono,
      status: {
        id, group, mode, phase: 'queued', totalLines: 0, rowsRead: 0, rowsTotal: 0, rowsStored: 0, errors: [], message: null,
        startedAt: Date.now(), finishedAt: null, elapsedMs: 0, workerMs: null,
      },
      done: null as unknown as Promise<ImportStatus>,
    };
    const set = (patch: Partial<ImportStatus>): void => {
      job.status = { ...job.status, ...patch, elapsedMs: monotonicMs() - startMono };
      onUpdate?.(job.status);
    };
    (job as { done: Promise<ImportStatus> }).done = this.#run(group, csv, mode, set)
      .catch((err: unknown) => {
        log.error({ err, group }, 'rate-deck import failed');
        set({ phase: 'failed', message: (err as Error).message ?? String(err) });
      })
      .then(() => {
        this.#busy.delete(group);
        set({ finishedAt: Date.now() });
        return job.status;
      });
    this.#jobs.set(id, job);
    this.#trim();
    return { id, done: job.done };
  }

  /** Imports and waits: resolves with the final status (phase done, refused or failed). */
  async run(group: string, csv: Uint8Array, mode: ImportMode = 'replace', onUpdate?: (s: ImportStatus) => void): Promise<ImportStatus> {
    return this.start(group, csv, mode, onUpdate).done;
  }

  /** A job's status (with elapsed time now, while it runs), or undefined. */
  job(id: string): ImportStatus | undefined {
    const j = this.#jobs.get(id);
    if (!j) return undefined;
    return j.status.finishedAt === null ? { ...j.status, elapsedMs: monotonicMs() - j.startMono } : j.status;
  }

  /** True while `group` has an import running. */
  importing(group: string): boolean {
    return this.#busy.has(group);
  }

  /** Waits for running imports, then stops the worker pool. */
  async close(): Promise<void> {
    await Promise.all([...this.#jobs.values()].map((j) => j.done));
    const pool = this.#pool;
    this.#pool = null;
    await pool?.destroy();
  }

  async #run(group: string, csv: Uint8Array, mode: ImportMode, set: (p: Partial<ImportStatus>) => void): Promise<void> {
    set({ phase: 'validating' });
    const current = this.#book.rateGroup(group);
    // merge: a copy of the current rows goes to the worker (the live group keeps its own), and
    // the merged rows are stored once packed; replace: rows are stored while the worker reads
    const base = mode === 'merge' && current !== undefined && current.size > 0 ? current.packed() : undefined;
    const stream = base === undefined;
    const { port1, port2 } = new MessageChannel();
    const batches = new BatchQueue<StoreTuple[]>();
    let packed: PackedRates | null = null;
    let resolvePacked!: () => void;
    const gotPacked = new Promise<void>((resolve) => (resolvePacked = resolve));
    port1.on('message', (m: RateDeckMessage) => {
      if (m.type === 'total') set({ totalLines: m.lines });
      else if (m.type === 'progress') set({ rowsRead: m.rowsRead });
      else if (m.type === 'rows') batches.push(m.json);
      else {
        packed = m.packed;
        resolvePacked();
      }
    });
    port1.once('close', () => resolvePacked());
    let outcome: RateDeckOutcome | null = null;
    const task: RateDeckTask = { csv, maxErrors: this.#maxErrors, base, stream, port: port2 };
    // a large deck that owns its whole ArrayBuffer is moved to the worker, not copied (the caller
    // gives it up: start() takes ownership); small ones may sit in Node's shared Buffer pool
    const own = csv.byteLength >= 1 << 20 && csv.byteOffset === 0 && csv.byteLength === csv.buffer.byteLength;
    const transferList = (own ? [port2, csv.buffer] : [port2]) as never;
    const worked = this.#poolFor().run(task, { transferList }).then(
      async (o: RateDeckOutcome) => {
        outcome = o;
        if (o.ok) await gotPacked;
      },
    ).finally(() => {
      batches.end();
      port1.close();
    });
    const t = monotonicMs();
    let storing: Promise<boolean> | null = null;
    if (stream) {
      set({ phase: 'storing' });
      storing = replaceStoredGroupFrom(this.#store, group, batches, async () => {
        await worked;
        return outcome !== null && outcome.ok && packed !== null;
      }, (rowsStored) => set({ rowsStored }));
      // a store error must not leave the worker's promise unobserved, nor the other way round
      const [w, st] = await Promise.allSettled([worked, storing]);
      if (w.status === 'rejected') throw w.reason;
      if (st.status === 'rejected') throw st.reason;
    } else {
      await worked;
    }
    const o = outcome as RateDeckOutcome | null;
    if (o === null) throw RatesErrors.failed('the worker gave no outcome');
    if (!o.ok) {
      set({ phase: 'refused', errors: o.errors, rowsStored: 0 });
      return;
    }
    if (packed === null) throw RatesErrors.failed('the worker finished without sending the packed rows');
    const rows: PackedRates = packed;
    set({ rowsRead: o.deckRows, rowsTotal: rows.count, workerMs: o.ms });
    if (!stream) {
      set({ phase: 'storing' });
      await replaceStoredGroup(this.#store, group, rows, (rowsStored) => set({ rowsStored }));
    }
    log.info({ group, mode, rows: rows.count, totalMs: Math.round(monotonicMs() - t), workerMs: Math.round(o.ms) }, 'rate deck stored');
    set({ phase: 'swapping', rowsStored: rows.count });
    // The swap: one Map assignment. Calls authorized before keep their row; new calls see the new table.
    this.#book.setRateGroup(RateGroup.fromPacked(group, rows));
    set({ phase: 'done' });
  }

  #poolFor(): Piscina {
    // one thread: an import is rare, and the machine's other core runs the switch
    this.#pool ??= new Piscina({ filename: WORKER_URL.href, minThreads: 0, maxThreads: 1, idleTimeout: 30_000 });
    return this.#pool;
  }

  #trim(): void {
    if (this.#jobs.size <= this.#keep) return;
    for (const [id, j] of this.#jobs) {
      if (this.#jobs.size <= this.#keep) break;
      if (j.status.finishedAt !== null) this.#jobs.delete(id);
    }
  }
}

/**
 * Batches from the worker (JSON text), consumed by the store writer as an async iterable; each
 * batch is parsed only when the writer takes it, so the message handler stays cheap.
 */
class BatchQueue<T> implements AsyncIterable<T> {
  readonly #items: string[] = [];
  #ended = false;
  #wake: (() => void) | null = null;

  push(json: string): void {
    this.#items.push(json);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const next = this.#items.shift();
      if (next !== undefined) {
        yield JSON.parse(next) as T;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }
}
