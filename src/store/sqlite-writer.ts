import { Worker, type TransferListItem } from 'node:worker_threads';
import { SswError } from '../util/errors.js';
import { StoreErrors } from './errors.js';

const WORKER_URL = new URL('../../workers/sqlite-writer.js', import.meta.url);

/** The Store methods the writer thread runs (every write of a SQLite file store, and the reads that can be long). */
export type WriterOp = 'writeBatch' | 'writeEncoded' | 'applyLedger' | 'dropCdrTablesOlderThan' | 'importNetwork' | 'ensureAccounts'
  | 'queryCdrs' | 'ledger' | 'exportNetwork' | 'recordNetworkChange'
  | 'createRateGroup' | 'deleteRateGroup' | 'putRate' | 'deleteRate' | 'replaceRates' | 'readRates';

export interface WriterInit {
  readonly url: string;
  readonly timeZone: string;
  readonly maxDayInterval?: number;
  readonly pageSize?: number;
}

/** What goes back and forth: a call, or its result / error. */
export type WriterRequest = { readonly id: number; readonly op: WriterOp; readonly args: readonly unknown[] } | { readonly id: number; readonly op: 'close' };
export type WriterReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };
export interface SerializedError {
  readonly message: string;
  readonly code?: string;
  readonly status?: number;
  readonly details?: Record<string, unknown>;
}

interface Pending {
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
}

/** Turns an error from the writer thread back into a coded error (SswError) or an Error with its driver code. */
export function reviveError(s: SerializedError): Error {
  if (s.code?.startsWith('SSW_ERR_')) return new SswError(s.code, s.message, s.status, s.details);
  const e = new Error(s.message) as Error & { code?: string };
  if (s.code !== undefined) e.code = s.code;
  return e;
}

/**
 * The thread that owns the SQLite file's write connection. better-sqlite3 is synchronous, so a
 * CDR batch written on the main thread stalls SIP for its whole transaction; here the main thread
 * only pays for the structured clone of the batch. Calls are served in order. A thread that dies
 * fails its pending calls (the CDR drainer retries them from the journal) and is started again
 * on the next call.
 */
export class SqliteWriter {
  #init: WriterInit;
  #worker: Worker | null = null;
  #ready: Promise<void> | null = null;
  #pending = new Map<number, Pending>();
  #seq = 0;
  #closed = false;

  private constructor(init: WriterInit) {
    this.#init = init;
  }

  /** Starts the writer thread and waits until it has opened the database. */
  static async start(init: WriterInit): Promise<SqliteWriter> {
    const w = new SqliteWriter(init);
    await w.#spawn();
    return w;
  }

  #spawn(): Promise<void> {
    const worker = new Worker(WORKER_URL, { workerData: this.#init });
    this.#worker = worker;
    this.#ready = new Promise<void>((resolve, reject) => {
      const onReady = (m: unknown) => {
        if ((m as { ready?: boolean }).ready) {
          worker.off('message', onReady);
          worker.on('message', (r: WriterReply) => this.#reply(r));
          // An idle writer never keeps the process alive; call() refs it while work is pending.
          if (this.#pending.size === 0) worker.unref();
          resolve();
        } else if ((m as { error?: SerializedError }).error) {
          reject(reviveError((m as { error: SerializedError }).error));
        }
      };
      worker.on('message', onReady);
      worker.once('error', (e) => { reject(e); this.#died(worker, e); });
      worker.once('exit', (code) => { reject(new Error(`SQLite writer thread exited (${code}) while starting`)); this.#died(worker, new Error(`SQLite writer thread exited with code ${code}`)); });
    });
    return this.#ready;
  }

  #died(worker: Worker, e: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.#ready = null;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(e);
  }

  #reply(r: WriterReply): void {
    const p = this.#pending.get(r.id);
    if (!p) return;
    this.#pending.delete(r.id);
    if (this.#pending.size === 0) this.#worker?.unref();
    if (r.ok) p.resolve(r.value);
    else p.reject(reviveError(r.error));
  }

  /** Runs one Store method on the writer thread; `transfer` moves buffers instead of copying them. */
  async call<T>(op: WriterOp, args: readonly unknown[], transfer: readonly TransferListItem[] = []): Promise<T> {
    if (this.#closed) throw StoreErrors.closed('store is closed');
    if (!this.#worker) await this.#spawn();
    await this.#ready;
    const worker = this.#worker!;
    const id = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.ref();
      worker.postMessage({ id, op, args } satisfies WriterRequest, transfer as TransferListItem[]);
    });
  }

  /** Ends the thread at once, as a crash would: pending calls fail, an open transaction rolls back, the next call starts a new thread. */
  async terminate(): Promise<void> {
    await this.#worker?.terminate();
  }

  /** Lets pending calls finish, closes the thread's connection and waits for the thread to end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    if (!worker) return;
    worker.ref();
    const exited = new Promise<void>((r) => worker.once('exit', () => r()));
    worker.postMessage({ id: ++this.#seq, op: 'close' } satisfies WriterRequest);
    await exited;
  }
}
