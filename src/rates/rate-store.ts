/**
 * Rate groups and rates in the store (tables `rate_groups` and `rates`, both back ends). A rate
 * row's call type and sections, when not the defaults (international, none), are kept as JSON in
 * the row's `extra` column. Bulk writes run in one transaction in chunks, yielding to the event
 * loop between chunks, so a 1,000,000-row group is stored without stalling calls.
 */
import { setImmediate as yieldNow } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import { stringify } from 'csv-stringify';
import {
  CALL_TYPES, RATE_DECK_COLUMNS, packedRow, rateDeckRecord, type CallType, type PackedRates, type RateRow, type RateSection,
} from '../billing/index.js';
import type { Store } from '../store/index.js';
import { storeTuple, type StoreTuple } from './tuple.js';

const COLUMNS = ['rate_group', 'prefix', 'area_name', 'rate', 'connection_fee', 'first_period', 'next_period', 'effective_time', 'locked', 'extra'] as const;

/**
 * Rows per INSERT. better-sqlite3 runs a statement on this thread: 1,000 rows take a few ms, so
 * calls wait at most that long between chunks. MySQL works off-thread and likes bigger ones.
 */
function chunkOf(store: Store): number {
  return store.kind === 'sqlite' ? 1000 : 5000;
}

/** A stored row back as a RateRow. */
export function rowFromStore(r: Record<string, unknown>): RateRow {
  let callType: CallType = 'international';
  let sections: RateSection[] = [];
  if (r.extra) {
    const x = JSON.parse(String(r.extra)) as { callType?: string; sections?: Array<[number, string]> };
    if (x.callType && (CALL_TYPES as readonly string[]).includes(x.callType)) callType = x.callType as CallType;
    sections = (x.sections ?? []).map(([afterSeconds, rate]) => ({ afterSeconds: Number(afterSeconds), ratePerMinute: BigInt(rate) }));
  }
  return {
    prefix: String(r.prefix), areaName: String(r.area_name), callType, ratePerMinute: BigInt(r.rate as bigint), firstPeriod: Number(r.first_period),
    nextPeriod: Number(r.next_period), connectionFee: BigInt(r.connection_fee as bigint), sections, effectiveFrom: Number(r.effective_time),
    locked: Number(r.locked) !== 0,
  };
}

/** Inserts tuples in statements of at most chunkOf(store) rows, yielding to the event loop between them. */
async function insertTuples(tx: Kysely<any>, store: Store, group: string, tuples: readonly StoreTuple[], onChunk?: (n: number) => void): Promise<void> {
  const chunk = chunkOf(store);
  const one = `(${COLUMNS.map(() => '?').join(', ')})`;
  for (let at = 0; at < tuples.length; at += chunk) {
    const part = tuples.length - at < chunk ? tuples.length - at : chunk;
    const values: unknown[] = new Array(part * COLUMNS.length);
    let k = 0;
    for (let i = at; i < at + part; i++) {
      const t = tuples[i]!;
      values[k++] = group;
      for (let c = 0; c < t.length; c++) values[k++] = t[c];
    }
    const text = `insert into rates (${COLUMNS.join(', ')}) values ${new Array<string>(part).fill(one).join(', ')}`;
    await tx.executeQuery(CompiledQuery.raw(text, values));
    onChunk?.(part);
    if (tuples.length > chunk) await yieldNow(); // let calls run between chunks
  }
}

/** The rate group names in the store, sorted. */
export async function storedGroupNames(store: Store): Promise<string[]> {
  return (await store.db.selectFrom('rate_groups').select('name').orderBy('name').execute()).map((r) => String(r.name));
}

/** Creates an empty group; false when it exists already. */
export async function createStoredGroup(store: Store, name: string): Promise<boolean> {
  const had = await store.db.selectFrom('rate_groups').select('name').where('name', '=', name).executeTakeFirst();
  if (had) return false;
  await store.db.insertInto('rate_groups').values({ name }).execute();
  return true;
}

/** Deletes a group and its rows in one transaction; false when it was not stored. */
export async function deleteStoredGroup(store: Store, name: string): Promise<boolean> {
  return store.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('rates').where('rate_group', '=', name).execute();
    const r = await tx.deleteFrom('rate_groups').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  });
}

/**
 * Replaces every row of `group` with the packed rows, in one transaction (the group is created if
 * missing): either the whole new table is stored or the old one stays. `onProgress` gets rows stored.
 */
export async function replaceStoredGroup(store: Store, group: string, packed: PackedRates, onProgress?: (rowsStored: number) => void): Promise<void> {
  async function* tuples(): AsyncGenerator<StoreTuple[]> {
    let batch: StoreTuple[] = [];
    for (let s = 0; s < packed.slots; s++) {
      for (let i = packed.slotStart[s]!; i < packed.slotStart[s + 1]!; i++) {
        batch.push(storeTuple(packedRow(packed, s, i)));
        if (batch.length === 20_000) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
  }
  await replaceStoredGroupFrom(store, group, tuples(), async () => true, onProgress);
}

/** Thrown inside the transaction to roll it back. */
const ROLLBACK = new Error('rollback');

/**
 * Replaces every row of `group` with the rows of `batches` (created if missing) in one transaction
 * held open while they arrive, so storing overlaps reading the deck. When the batches end,
 * `commit()` decides: false rolls everything back (the deck was refused after all). Resolves with
 * whether it committed.
 */
export async function replaceStoredGroupFrom(
  store: Store, group: string, batches: AsyncIterable<readonly StoreTuple[]>, commit: () => Promise<boolean>, onProgress?: (rowsStored: number) => void,
): Promise<boolean> {
  try {
    await store.db.transaction().execute(async (tx) => {
      // A write first: on SQLite it takes the write lock (waiting out the CDR writer thread's commits)
      // before this transaction has read anything, so it cannot fail at once with "database is locked".
      await tx.deleteFrom('rates').where('rate_group', '=', group).execute();
      const had = await tx.selectFrom('rate_groups').select('name').where('name', '=', group).executeTakeFirst();
      if (!had) await tx.insertInto('rate_groups').values({ name: group }).execute();
      let stored = 0;
      for await (const batch of batches) {
        await insertTuples(tx, store, group, batch, (n) => onProgress?.((stored += n)));
        await yieldNow();
      }
      if (!(await commit())) throw ROLLBACK;
    });
    return true;
  } catch (e) {
    if (e === ROLLBACK) return false;
    throw e;
  }
}

/** Every stored group with its rows (for start-up), in insertion order. */
export async function loadStoredGroups(store: Store): Promise<Map<string, RateRow[]>> {
  const out = new Map<string, RateRow[]>();
  for (const name of await storedGroupNames(store)) out.set(name, []);
  let last = 0;
  for (;;) {
    const rows = await store.db.selectFrom('rates').selectAll().where('id', '>', last).orderBy('id').limit(20_000).execute();
    if (rows.length === 0) break;
    for (const r of rows) {
      const g = String(r.rate_group);
      let list = out.get(g);
      if (!list) out.set(g, (list = []));
      list.push(rowFromStore(r));
    }
    last = Number(rows[rows.length - 1]!.id);
    await yieldNow();
  }
  return out;
}

export interface RatePage {
  readonly rows: RateRow[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
}

/** One page of a group's rows, ordered by prefix then effective time; `prefix` filters by leading digits. */
export async function listStoredRates(store: Store, group: string, o: { prefix?: string; page: number; pageSize: number }): Promise<RatePage> {
  let q = store.db.selectFrom('rates').where('rate_group', '=', group);
  // substr, not LIKE: no wildcard escaping, and both back ends spell it the same
  if (o.prefix) q = q.where(sql<boolean>`substr(prefix, 1, ${o.prefix.length}) = ${o.prefix}`);
  const count = await q.select(sql<number>`count(*)`.as('n')).executeTakeFirst();
  const rows = await q.selectAll().orderBy('prefix').orderBy('effective_time').limit(o.pageSize).offset((o.page - 1) * o.pageSize).execute();
  return { rows: rows.map(rowFromStore), total: Number(count?.n ?? 0), page: o.page, pageSize: o.pageSize };
}

/** The stored row of `group` with this prefix and effective time, or null. */
export async function getStoredRate(store: Store, group: string, prefix: string, effectiveFrom: number): Promise<RateRow | null> {
  const r = await store.db.selectFrom('rates').selectAll()
    .where('rate_group', '=', group).where('prefix', '=', prefix).where('effective_time', '=', effectiveFrom).executeTakeFirst();
  return r ? rowFromStore(r) : null;
}

/** Stores one row, replacing the row with the same (prefix, effective time) if any. */
export async function putStoredRate(store: Store, group: string, row: RateRow): Promise<void> {
  await store.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('rates').where('rate_group', '=', group).where('prefix', '=', row.prefix).where('effective_time', '=', row.effectiveFrom).execute();
    await insertTuples(tx, store, group, [storeTuple(row)]);
  });
}

/** Deletes one row; false when there was none. */
export async function deleteStoredRate(store: Store, group: string, prefix: string, effectiveFrom: number): Promise<boolean> {
  const r = await store.db.deleteFrom('rates').where('rate_group', '=', group).where('prefix', '=', prefix).where('effective_time', '=', effectiveFrom).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Writes a group's stored rows as a rate deck to `out` (streamed by pages); returns the row count. Does not end `out`. */
export async function exportStoredGroupCsv(store: Store, group: string, out: Writable): Promise<number> {
  const csv = stringify({ header: true, columns: [...RATE_DECK_COLUMNS] });
  csv.pipe(out, { end: false });
  const finished = once(csv, 'end');
  let n = 0;
  try {
    let last = 0;
    for (;;) {
      const rows = await store.db.selectFrom('rates').selectAll().where('rate_group', '=', group).where('id', '>', last).orderBy('id').limit(5000).execute();
      if (rows.length === 0) break;
      for (const r of rows) {
        if (!csv.write(rateDeckRecord(rowFromStore(r)))) await once(csv, 'drain');
        n++;
      }
      last = Number(rows[rows.length - 1]!.id);
    }
  } finally {
    csv.end();
  }
  await finished;
  return n;
}
