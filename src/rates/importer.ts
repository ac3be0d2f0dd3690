/**
 * The rate-deck import pipeline and single-row edits: the deck is parsed, validated and packed in a
 * Piscina worker (merged into the group's current rows in merge mode), its rows go from the worker
 * straight to the store (the SQLite writer thread) in one transaction, and only then is the group
 * swapped into the account book whole. An edit builds the new group in the worker too (for a large
 * group). Imports and edits of one group run one after another. A call in progress keeps the row
 * it was authorized with; a refused deck (any bad row) changes nothing, neither in the store nor
 * for new calls.
 */
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { RateGroup, editPacked, type AccountBook, type PackedRates, type RateDeckError, type RateRow, type RowKey } from '../billing/index.js';
import type { RateProgressMessage, Store } from '../store/index.js';
import { createError } from '../util/errors.js';
import { monotonicMs } from '../util/time.js';
import { componentLogger } from '../util/log.js';
import { storeTuple } from './tuple.js';
import { isStoredGroup } from './rate-store.js';
import type { DeckTask, DumpTask, EditTask, LoadTask, LoadedGroup, ParseTask, RateDeckMessage, RateDeckOutcome } from '../../workers/rate-deck.js';

const log = componentLogger('rates');
const WORKER_URL = new URL('../../workers/rate-deck.js', import.meta.url);

export const RatesErrors = {
  /** The deck has bad rows; `details.errors` lists them (line, reason). */
  deckRefused: createError('SSW_ERR_RATES_DECK_REFUSED', 400),
  busy: createError('SSW_ERR_RATES_IMPORT_BUSY', 409),
  badName: createError('SSW_ERR_RATES_BAD_NAME', 400),
  noStore: createError('SSW_ERR_RATES_NO_STORE', 503),
  failed: createError('SSW_ERR_RATES_IMPORT_FAILED', 500),
  /** An edit named a group that is not (or no longer) in force. */
  noGroup: createError('SSW_ERR_RATES_NO_GROUP', 404),
  /** An edit named a row that is not stored. */
  noRow: createError('SSW_ERR_RATES_NO_ROW', 404),
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

/** One row change: a row put (replacing the row with its prefix and effective time, if any), or a row taken out. */
export type RowChange = { readonly put: RateRow } | { readonly remove: RowKey };

/**
 * Groups with fewer rows are edited on the calling thread: editPacked measured 0.2 ms at 1,000
 * rows and 0.5-1.7 ms at 5,000, less than posting a task (and maybe starting a worker); at
 * 20,000 it took 6 ms and at 1,000,000 45-55 ms, so larger groups are edited in the pool.
 */
const POOL_EDIT_ROWS = 5_000;

/**
 * Parses, validates and packs rate decks (the config folder's `rates/<name>.csv`) in a worker of
 * its own, so a large deck named by a reload does not stall calls. Resolves per deck with the
 * packed rows or the deck's errors (first `maxErrors`).
 */
export async function packDecks(decks: readonly { readonly name: string; readonly csv: Uint8Array }[], maxErrors = 5): Promise<Array<{ readonly name: string; readonly outcome: RateDeckOutcome }>> {
  if (decks.length === 0) return [];
  return withOwnPool(async (pool) => {
    const out: Array<{ name: string; outcome: RateDeckOutcome }> = [];
    for (const d of decks) out.push({ name: d.name, outcome: await pool.run({ kind: 'parse', csv: d.csv, maxErrors } satisfies ParseTask) as RateDeckOutcome });
    return out;
  });
}

/** A worker pool of one thread for one job, destroyed after it. */
async function withOwnPool<T>(fn: (pool: Piscina) => Promise<T>): Promise<T> {
  const pool = new Piscina({ filename: WORKER_URL.href, minThreads: 0, maxThreads: 1 });
  try {
    return await fn(pool);
  } finally {
    await pool.destroy();
  }
}

/**
 * Waits for both (a worker and the store talk through ports: neither may be left running when the
 * other fails), then throws the first failure, else gives both values.
 */
async function both<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/**
 * Runs rate-deck imports (one at a time per group), single-row edits and the start-up load of
 * stored groups; keeps the imports' status for the API. Imports and edits of one group are
 * serialised: each starts from the group the previous one left.
 */
export class RateImporter {
  readonly #store: Store;
  readonly #book: AccountBook;
  readonly #maxErrors: number;
  readonly #keep: number;
  readonly #jobs = new Map<string, Job>();
  readonly #busy = new Set<string>();
  /** Per group, the end of its queue of imports and edits. */
  readonly #tails = new Map<string, Promise<void>>();
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
   * or failed import is a status). It waits (phase queued) for the group's edits in progress.
   * Throws SSW_ERR_RATES_IMPORT_BUSY if the group is importing.
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
    (job as { done: Promise<ImportStatus> }).done = this.exclusive(group, () => this.#run(group, csv, mode, set))
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

  /** True while `group` has an import running or queued. */
  importing(group: string): boolean {
    return this.#busy.has(group);
  }

  /** Runs `fn` alone for `group`: after the group's earlier imports and edits, before later ones. */
  exclusive<T>(group: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(group) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail = run.then(() => undefined, () => undefined);
    this.#tails.set(group, tail);
    void tail.then(() => {
      if (this.#tails.get(group) === tail) this.#tails.delete(group);
    });
    return run;
  }

  /**
   * Changes one row of `group`, in turn with the group's imports and edits: `decide` (called in
   * turn, with the group then in force) checks what it must, against the store too, and names the
   * change, or throws to change nothing. A group only in memory (from the config folder) is
   * stored whole first. The new group is built (in the pool for a large group, so the event loop
   * stays free), the change stored, and the group swapped in; resolves with `decide`'s change.
   * Throws SSW_ERR_RATES_NO_GROUP when the group is gone.
   */
  change<T extends RowChange>(group: string, decide: (current: RateGroup) => Promise<T>): Promise<T> {
    return this.exclusive(group, async () => {
      const current = this.#book.rateGroup(group);
      if (current === undefined) throw RatesErrors.noGroup(`no rate group ${JSON.stringify(group)}`);
      // a group from the config folder is stored whole before its first change
      if (!(await isStoredGroup(this.#store, group))) await this.#storeWhole(group, current.packed());
      const c = await decide(current);
      const put = 'put' in c ? [c.put] : [];
      const remove = 'remove' in c ? [c.remove] : [];
      const base = current.packed();
      const packed = current.size < POOL_EDIT_ROWS
        ? editPacked(base, put, remove, { shared: true })
        : await this.#poolFor().run({ kind: 'edit', base, put, remove } satisfies EditTask) as PackedRates;
      if ('put' in c) await this.#store.putRate(group, storeTuple(c.put));
      else if (!(await this.#store.deleteRate(group, c.remove.prefix, c.remove.effectiveFrom))) {
        throw RatesErrors.noRow(`rate group ${group} has no row for prefix ${c.remove.prefix} effective ${new Date(c.remove.effectiveFrom).toISOString()}`);
      }
      this.#book.setRateGroup(RateGroup.fromPacked(group, packed));
      return c;
    });
  }

  /**
   * Puts every group stored in the store into the book, packed in the pool from the rows the store
   * reads (on the SQLite writer thread): the event loop only swaps the groups in. A group with a
   * bad row is logged and skipped. Resolves with the names loaded.
   */
  async loadStored(): Promise<string[]> {
    const { port1, port2 } = new MessageChannel();
    const reading = this.#store.readRates(port1);
    // A pool of its own: this task waits for the writer thread, which may be waiting for a deck
    // task queued in the shared pool behind it.
    const [, groups] = await withOwnPool((pool) => both(reading, pool.run({ kind: 'load', port: port2 } satisfies LoadTask, { transferList: [port2] as never }) as Promise<LoadedGroup[]>));
    const loaded: string[] = [];
    for (const g of groups) {
      if ('error' in g) {
        log.error({ err: g.error, group: g.name }, 'stored rate group refused; the config folder\'s deck (if any) stays');
        continue;
      }
      this.#book.setRateGroup(RateGroup.fromPacked(g.name, g.packed));
      loaded.push(g.name);
    }
    return loaded;
  }

  /** Waits for running imports and edits, then stops the worker pool. */
  async close(): Promise<void> {
    await Promise.all([...this.#jobs.values()].map((j) => j.done));
    await Promise.all([...this.#tails.values()]);
    const pool = this.#pool;
    this.#pool = null;
    await pool?.destroy();
  }

  /** Stores a group whole (its rows sent to the store by a worker). */
  async #storeWhole(group: string, packed: PackedRates): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const storing = this.#store.replaceRates(group, port2);
    const dumping = this.#poolFor().run({ kind: 'dump', packed, store: port1 } satisfies DumpTask, { transferList: [port1] as never });
    const [, stored] = await both(dumping, storing);
    if (!stored) throw RatesErrors.failed(`rate group ${group} could not be stored`);
  }

  async #run(group: string, csv: Uint8Array, mode: ImportMode, set: (p: Partial<ImportStatus>) => void): Promise<void> {
    const current = this.#book.rateGroup(group);
    // merge: the worker reads the live group's shared arrays in place and stores the merged rows
    // once packed; replace: the store takes rows while the worker reads
    const base = mode === 'merge' && current !== undefined && current.size > 0 ? current.packed() : undefined;
    set({ phase: base === undefined ? 'storing' : 'validating' });
    const progress = new MessageChannel(); // worker -> here: lines, rows read
    const rows = new MessageChannel(); // worker -> store: the rows, then commit or not
    const stored = new MessageChannel(); // store -> here: rows stored
    // the worker's last message; its port's close may not reach us (a pool thread sleeps between tasks)
    let progressEnded!: () => void;
    const progressDone = new Promise<void>((r) => (progressEnded = r));
    progress.port1.on('message', (m: RateDeckMessage) => {
      if (m.type === 'total') set({ totalLines: m.lines });
      else if (m.type === 'progress') set({ rowsRead: m.rowsRead });
      else progressEnded();
    });
    progress.port1.once('close', () => progressEnded());
    stored.port1.on('message', (m: RateProgressMessage) => set({ phase: 'storing', rowsStored: m.stored }));
    const t = monotonicMs();
    const storing = this.#store.replaceRates(group, rows.port2, stored.port2);
    const task: DeckTask = { kind: 'deck', csv, maxErrors: this.#maxErrors, base, port: progress.port2, store: rows.port1 };
    // a large deck that owns its whole ArrayBuffer is moved to the worker, not copied (the caller
    // gives it up: start() takes ownership); small ones may sit in Node's shared Buffer pool
    const own = csv.byteLength >= 1 << 20 && csv.byteOffset === 0 && csv.byteLength === csv.buffer.byteLength;
    const transferList = (own ? [progress.port2, rows.port1, csv.buffer] : [progress.port2, rows.port1]) as never;
    const working = this.#poolFor().run(task, { transferList }) as Promise<RateDeckOutcome>;
    // Wait for the last progress of both (the store's port closes once its far end has closed and
    // every message sent before has been handled here), so the status is complete when the import ends.
    const progressed = Promise.all([progressDone, new Promise((r) => stored.port1.once('close', r))]);
    // a task that never reached its thread leaves ports open: close them (the store rolls back)
    working.catch(() => {
      rows.port1.close();
      progress.port1.close();
    });
    storing.catch(() => stored.port1.close());
    const done = both(working, storing);
    await done.then(() => undefined, () => undefined);
    await progressed;
    progress.port1.close();
    const [o, committed] = await done;
    if (!o.ok) {
      set({ phase: 'refused', errors: o.errors, rowsStored: 0 });
      return;
    }
    if (!committed) throw RatesErrors.failed('the store rolled the import back');
    log.info({ group, mode, rows: o.packed.count, totalMs: Math.round(monotonicMs() - t), workerMs: Math.round(o.ms) }, 'rate deck stored');
    set({ phase: 'swapping', rowsRead: o.deckRows, rowsTotal: o.packed.count, rowsStored: o.packed.count, workerMs: o.ms });
    // The swap: one Map assignment. Calls authorized before keep their row; new calls see the new table.
    this.#book.setRateGroup(RateGroup.fromPacked(group, o.packed));
    set({ phase: 'done' });
  }

  #poolFor(): Piscina {
    // one thread: imports and edits are rare, and the machine's other core runs the switch
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
