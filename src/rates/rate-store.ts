/**
 * Rate groups and rates in the store (tables `rate_groups` and `rates`, both back ends). A rate
 * row's call type and sections, when not the defaults (international, none), are kept as JSON in
 * the row's `extra` column. Writes are the Store's own (on the SQLite writer thread); the reads
 * here are short pages. Whole groups are written and read by the rate workers (importer.ts).
 */
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { sql } from 'kysely';
import { stringify } from 'csv-stringify';
import { RATE_DECK_COLUMNS, rateDeckRecord, type RateRow } from '../billing/index.js';
import { rateTupleOf, type Store } from '../store/index.js';
import { rowFromTuple } from './tuple.js';

/** A stored row back as a RateRow. */
export function rowFromStore(r: Record<string, unknown>): RateRow {
  return rowFromTuple(rateTupleOf(r));
}

/** The rate group names in the store, sorted. */
export async function storedGroupNames(store: Store): Promise<string[]> {
  return (await store.db.selectFrom('rate_groups').select('name').orderBy('name').execute()).map((r) => String(r.name));
}

/** True when the store holds a group of this name. */
export async function isStoredGroup(store: Store, name: string): Promise<boolean> {
  return (await store.db.selectFrom('rate_groups').select('name').where('name', '=', name).executeTakeFirst()) !== undefined;
}

/** Creates an empty group; false when it exists already. */
export async function createStoredGroup(store: Store, name: string): Promise<boolean> {
  return store.createRateGroup(name);
}

/** Deletes a group and its rows in one transaction; false when it was not stored. */
export async function deleteStoredGroup(store: Store, name: string): Promise<boolean> {
  return store.deleteRateGroup(name);
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
