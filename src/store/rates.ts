/**
 * Writes of the `rate_groups` and `rates` tables, and the read of every rate row at start. With a
 * SQLite file they run on the writer thread (Store methods), like every other write: a
 * 1,000,000-row group's insert, delete or commit never runs on the event-loop thread, and never
 * meets the writer's commits as "database is locked". Rows come as RateTuples, the JSON-safe
 * values of one insert (the rates room makes them from rate rows).
 */
import { setImmediate as yieldNow } from 'node:timers/promises';
import type { MessagePort } from 'node:worker_threads';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { StoreKind } from './connect.js';

/** prefix, area_name, rate, connection_fee, first_period, next_period, effective_time, locked, extra (money as integer strings). */
export type RateTuple = [string, string, string, string, number, number, number, number, string | null];

/**
 * What a producer (the rate-deck worker) posts on the port given to Store.replaceRates, and what
 * Store.readRates posts: batches of rows as JSON of RateTuple[] (readRates: each tuple led by its
 * group's name), then one end. A port that closes before its end rolls the replacement back.
 */
export type RateRowsMessage =
  | { readonly rows: string }
  | { readonly end: true; readonly commit: boolean }
  /** readRates only, first: every stored group's name (a group may have no rows). */
  | { readonly groups: readonly string[] };

/** Store.replaceRates' progress, on its optional second port: rows stored so far. */
export interface RateProgressMessage {
  readonly stored: number;
}

const COLUMNS = ['rate_group', 'prefix', 'area_name', 'rate', 'connection_fee', 'first_period', 'next_period', 'effective_time', 'locked', 'extra'] as const;

/**
 * Rows per INSERT: 1,000 on SQLite (a statement takes a few ms on the writer thread, so a CDR
 * batch queued behind an import's chunk waits little), 5,000 on MySQL (network round trips).
 */
function chunkOf(kind: StoreKind): number {
  return kind === 'sqlite' ? 1000 : 5000;
}

/** Inserts tuples in statements of at most chunkOf(kind) rows. */
async function insertTuples(tx: Kysely<any>, kind: StoreKind, group: string, tuples: readonly RateTuple[], onChunk?: (n: number) => void): Promise<void> {
  const chunk = chunkOf(kind);
  const one = `(${COLUMNS.map(() => '?').join(', ')})`;
  let full = '';
  for (let at = 0; at < tuples.length; at += chunk) {
    const part = tuples.length - at < chunk ? tuples.length - at : chunk;
    const values: unknown[] = new Array(part * COLUMNS.length);
    let k = 0;
    for (let i = at; i < at + part; i++) {
      const t = tuples[i]!;
      values[k++] = group;
      for (let c = 0; c < t.length; c++) values[k++] = t[c];
    }
    // the statement text of a full chunk is the same every time: built once
    const text = part === chunk ? (full ||= statement(chunk, one)) : statement(part, one);
    await tx.executeQuery(CompiledQuery.raw(text, values));
    onChunk?.(part);
  }
}

function statement(rows: number, one: string): string {
  return `insert into rates (${COLUMNS.join(', ')}) values ${new Array<string>(rows).fill(one).join(', ')}`;
}

/** Rows sorted together before they are stored by replaceRates (measured: 20,000 sorted rows per slice store 1M random prefixes in 2.8 s, unsorted 6.4 s). */
const SORTED_SLICE = 20_000;

function byPrefixThenTime(a: RateTuple, b: RateTuple): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[6] - b[6];
}

/** A `rates` row as read from either back end, as its RateTuple (money as integer strings). */
export function rateTupleOf(r: Record<string, unknown>): RateTuple {
  return [
    String(r.prefix), String(r.area_name), String(r.rate), String(r.connection_fee), Number(r.first_period), Number(r.next_period),
    Number(r.effective_time), Number(r.locked), r.extra === null || r.extra === undefined ? null : String(r.extra),
  ];
}

/** Creates an empty group; false when it exists already. */
export async function createRateGroup(db: Kysely<any>, name: string): Promise<boolean> {
  const had = await db.selectFrom('rate_groups').select('name').where('name', '=', name).executeTakeFirst();
  if (had) return false;
  await db.insertInto('rate_groups').values({ name }).execute();
  return true;
}

/** Deletes a group and its rows in one transaction; false when it was not stored. */
export async function deleteRateGroup(db: Kysely<any>, name: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    await tx.deleteFrom('rates').where('rate_group', '=', name).execute();
    const r = await tx.deleteFrom('rate_groups').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  });
}

/** Stores one row, replacing the row with the same (prefix, effective time) if any. */
export async function putRate(db: Kysely<any>, kind: StoreKind, group: string, row: RateTuple): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('rates').where('rate_group', '=', group).where('prefix', '=', row[0]).where('effective_time', '=', row[6]).execute();
    await insertTuples(tx, kind, group, [row]);
  });
}

/** Deletes one row; false when there was none. */
export async function deleteRate(db: Kysely<any>, group: string, prefix: string, effectiveFrom: number): Promise<boolean> {
  const r = await db.deleteFrom('rates').where('rate_group', '=', group).where('prefix', '=', prefix).where('effective_time', '=', effectiveFrom).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Thrown inside the transaction to roll it back. */
const ROLLBACK = new Error('rollback');

/**
 * Replaces every row of `group` (created if missing) with the rows posted on `rows`, in one
 * transaction held open while they arrive; the end message's `commit` decides, and a port that
 * closes first rolls back. Resolves with whether it committed. `progress` gets rows stored.
 */
export async function replaceRates(db: Kysely<any>, kind: StoreKind, group: string, rows: MessagePort, progress?: MessagePort): Promise<boolean> {
  const batches = portBatches(rows);
  const cache = kind === 'sqlite' ? await bulkCache(db) : null;
  try {
    await db.transaction().execute(async (tx) => {
      // A write first: on SQLite it takes the write lock before this transaction has read anything.
      await tx.deleteFrom('rates').where('rate_group', '=', group).execute();
      await createRateGroup(tx, group);
      let stored = 0;
      let pending: RateTuple[] = [];
      const flush = async () => {
        // Rows in prefix order go into the (group, prefix, time) index next to each other: a deck
        // in file order (random prefixes) stores 2-3x faster when each slice is sorted first.
        pending.sort(byPrefixThenTime);
        await insertTuples(tx, kind, group, pending, (n) => progress?.postMessage({ stored: (stored += n) } satisfies RateProgressMessage));
        pending = [];
        // on the main thread (MySQL, in-memory SQLite) calls run between slices
        await yieldNow();
      };
      for await (const json of batches) {
        for (const t of JSON.parse(json) as RateTuple[]) pending.push(t);
        if (pending.length >= SORTED_SLICE) await flush();
      }
      if (pending.length > 0) await flush();
      if (!batches.commit) throw ROLLBACK;
    });
    return true;
  } catch (e) {
    if (e === ROLLBACK) return false;
    throw e;
  } finally {
    await cache?.restore();
    rows.close();
    progress?.close();
  }
}

/**
 * SQLite: a page cache of BULK_CACHE_KIB for a bulk replace, so the index's pages stay in memory
 * instead of spilling to the WAL in the middle of the transaction (1,000,000 rows with random
 * prefixes: 6.5-6.8 s of inserts instead of 10.2 s with the default 2 MiB, same machine and load).
 * `restore` puts the connection's own size back.
 */
async function bulkCache(db: Kysely<any>): Promise<{ restore(): Promise<void> }> {
  const r = await sql<{ cache_size: number | bigint }>`pragma cache_size`.execute(db);
  const before = Number(r.rows[0]?.cache_size ?? -2000);
  await sql.raw(`pragma cache_size = -${BULK_CACHE_KIB}`).execute(db);
  return { restore: async () => void (await sql.raw(`pragma cache_size = ${before}`).execute(db)) };
}

const BULK_CACHE_KIB = 65_536;

/** The row batches posted on a port, as an async iterable; `commit` is set once it has ended. */
function portBatches(port: MessagePort): AsyncIterable<string> & { readonly commit: boolean } {
  const items: string[] = [];
  let ended = false;
  let commit = false;
  let wake: (() => void) | null = null;
  port.on('message', (m: RateRowsMessage) => {
    if ('rows' in m) items.push(m.rows);
    else if ('end' in m) {
      ended = true;
      commit = m.commit;
    }
    wake?.();
  });
  port.once('close', () => {
    ended = true;
    wake?.();
  });
  return {
    get commit() {
      return commit;
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = items.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    },
  };
}

/**
 * Posts every stored group's name, then every stored rate row (in insertion order, as
 * [group, ...RateTuple] in batches of `batch`), then the end, on `port`; closes it. Returns the rows sent.
 */
export async function readRates(db: Kysely<any>, port: MessagePort, batch = 5000): Promise<number> {
  let n = 0;
  try {
    const names = (await db.selectFrom('rate_groups').select('name').orderBy('name').execute()).map((r) => String(r.name));
    port.postMessage({ groups: names } satisfies RateRowsMessage);
    let last: unknown = 0;
    for (;;) {
      const rows = await db.selectFrom('rates').selectAll().where('id', '>', last).orderBy('id').limit(batch).execute();
      if (rows.length === 0) break;
      const out = rows.map((r) => [String(r.rate_group), ...rateTupleOf(r)]);
      port.postMessage({ rows: JSON.stringify(out) } satisfies RateRowsMessage);
      n += rows.length;
      last = rows[rows.length - 1]!.id;
      await yieldNow();
    }
    port.postMessage({ end: true, commit: true } satisfies RateRowsMessage);
  } finally {
    port.close();
  }
  return n;
}
