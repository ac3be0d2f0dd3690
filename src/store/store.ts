import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { CompiledQuery, sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { stringify } from 'csv-stringify';
import type { CdrRecord, LedgerChange } from '../cdr/record.js';
import { connect, parseStoreUrl, type StoreKind } from './connect.js';
import { CSV_COLUMNS, cdrToRow, createCdrTable, cut, rowToCdr } from './cdr-table.js';
import { DayNamer, cdrTableName, dayOfCdrTable } from './day.js';
import { StoreErrors } from './errors.js';
import { migrate } from './migrations.js';
import { formatMinor, toMinor } from './money.js';
import { SqliteWriter } from './sqlite-writer.js';
import type { Account } from '../config/types.js';
import { readNetwork, readNetworkChanges, writeNetwork, writeNetworkChange, type NetworkChange, type StoredNetwork } from './network.js';
import { createRateGroup, deleteRate, deleteRateGroup, putRate, readRates, replaceRates, type RateTuple } from './rates.js';
import type { MessagePort } from 'node:worker_threads';

const DAY_MS = 86_400_000;

export interface StoreOptions {
  /** IANA zone whose calendar days name the CDR tables (parameter SSW_TIME_ZONE); default UTC. */
  readonly timeZone?: string;
  /** SERVER_QUERY_CDR_MAX_DAY_INTERVAL (default 31). */
  readonly maxDayInterval?: number;
  /** SERVER_QUERY_ONE_PAGE_SIZE (default 10000): the largest page a query may ask for, and the default. */
  readonly pageSize?: number;
  /** MySQL only. */
  readonly connectTimeoutMs?: number;
  readonly poolSize?: number;
  /**
   * SQLite file stores: 'worker' (default) writes CDR batches, ledger changes, retention and
   * config imports, and runs the big reads (CDR queries and exports, ledgers, the network export),
   * on a thread with its own connection, so the main thread never waits for a transaction or a
   * long query; 'inline' does all on the calling thread. In-memory databases are always inline.
   */
  readonly sqliteWriter?: 'worker' | 'inline';
}

export interface CdrRange {
  /** Epoch ms, inclusive, on startTime. */
  readonly from: number;
  /** Epoch ms, inclusive, on startTime. */
  readonly to: number;
}

export interface CdrQuery extends CdrRange {
  readonly account?: string;
  /** Matches the ingress or the egress gateway. */
  readonly gateway?: string;
  /** Prefix of the caller / callee as received. */
  readonly callerPrefix?: string;
  readonly calleePrefix?: string;
  readonly endReason?: string;
  /** 1-based; default 1. */
  readonly page?: number;
  readonly pageSize?: number;
}

export interface CdrPage {
  readonly rows: CdrRecord[];
  /** Rows matching the filters across the whole range. */
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
}

/**
 * CDR journal entries as the CDR journal encoded them (src/cdr/codec.ts), back to back in `bytes`,
 * `lengths[i]` bytes each. The writer thread decodes them, so the drainer's thread does not.
 */
export interface EncodedEntries {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly lengths: Uint32Array<ArrayBuffer>;
}

/** A CDR and the balance changes it causes: stored together, each at most once. */
export interface CdrEntry {
  readonly cdr: CdrRecord;
  readonly ledger?: readonly LedgerChange[];
}

export interface BatchResult {
  /** CDRs newly stored (duplicates of an existing flowNo are not counted). */
  readonly inserted: number;
  /** Ledger changes newly applied, with the balance after each. */
  readonly applied: readonly (LedgerChange & { readonly ref: string; readonly balanceAfter: bigint })[];
}

export interface WriteBatchOptions {
  /**
   * The caller knows these CDRs were never sent to any store before (first attempt, not a
   * replay): skip looking up already-applied ledger changes. If one exists after all, the unique
   * key refuses it, the transaction rolls back and the batch is redone with the look-up.
   */
  readonly assumeNew?: boolean;
}

/** A first attempt found CDRs stored already: the transaction rolls back and the batch is redone as a replay. */
class AlreadyStored extends Error {}

/** True for a unique-key violation from either back end, or a first attempt that met a stored CDR. */
function isDuplicateKey(e: unknown): boolean {
  if (e instanceof AlreadyStored) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export interface LedgerRow {
  readonly account: string;
  readonly amount: bigint;
  readonly reason: string;
  readonly ref: string;
  readonly balanceAfter: bigint;
  readonly time: number;
  /** Package the entry's free seconds came from ('' = none). */
  readonly packageId: string;
  readonly packageSeconds: number;
  /** The operator's words for a recharge or an adjustment ('' = none). */
  readonly memo: string;
}

/** The persistence layer over one back end (embedded SQLite or MySQL/MariaDB); see docs/store.md. */
export class Store {
  readonly kind: StoreKind;
  readonly timeZone: string;
  /** SERVER_QUERY_CDR_MAX_DAY_INTERVAL in force (setQueryLimits changes it live). */
  maxDayInterval: number;
  /** SERVER_QUERY_ONE_PAGE_SIZE in force. */
  pageSize: number;
  readonly schemaVersion: number;
  #db: Kysely<any>;
  #days: DayNamer;
  #known = new Set<string>();
  #closed = false;
  #insertTpl = new Map<string, { head: string; tuple: string; cols: string[] }>();
  #writer: SqliteWriter | null;

  private constructor(kind: StoreKind, db: Kysely<any>, days: DayNamer, version: number, o: StoreOptions, writer: SqliteWriter | null) {
    this.kind = kind;
    this.#db = db;
    this.#writer = writer;
    this.#days = days;
    this.timeZone = days.timeZone;
    this.schemaVersion = version;
    this.maxDayInterval = o.maxDayInterval ?? 31;
    this.pageSize = o.pageSize ?? 10_000;
  }

  /** A live change of SERVER_QUERY_CDR_MAX_DAY_INTERVAL / SERVER_QUERY_ONE_PAGE_SIZE: the next query is held to them. */
  setQueryLimits(maxDayInterval: number, pageSize: number): void {
    this.maxDayInterval = maxDayInterval;
    this.pageSize = pageSize;
  }

  /** Connects, creates the MySQL database if missing, and runs pending migrations. */
  static async open(url: string, o: StoreOptions = {}): Promise<Store> {
    const days = new DayNamer(o.timeZone ?? 'UTC');
    const p = parseStoreUrl(url);
    const c = await connect(p, o);
    try {
      const v = await migrate(c.db, c.kind);
      const offThread = p.kind === 'sqlite' && p.path !== ':memory:' && (o.sqliteWriter ?? 'worker') === 'worker';
      const writer = offThread
        ? await SqliteWriter.start({ url, timeZone: days.timeZone, maxDayInterval: o.maxDayInterval, pageSize: o.pageSize })
        : null;
      return new Store(c.kind, c.db, days, v, o, writer);
    } catch (e) {
      await c.db.destroy();
      throw e;
    }
  }

  /** The Kysely instance, for rooms that need a query this class does not offer. */
  get db(): Kysely<any> {
    return this.#db;
  }

  /**
   * CDRs per drain batch that suit this back end. An inline SQLite store runs a whole transaction
   * on the calling thread, so its batches stay small (250 CDRs block the event loop for ~20 ms).
   * With the writer thread the main thread decodes and clones each batch: 250 keep that under
   * ~5 ms, and larger batches measured no faster (bench/cdr.bench.ts). MySQL: 1000 measured as fast
   * as 2000-4000 with less main-thread work per batch (building the statement).
   */
  get drainBatch(): number {
    return this.kind === 'mysql' ? 1000 : 250;
  }

  /** True when writeEncoded is available: the writer thread decodes the journal's entries itself. */
  get encodedWrites(): boolean {
    return this.#writer !== null;
  }

  /**
   * writeBatch for CDR entries still in the journal's encoding; the buffers are moved to the writer
   * thread, not copied. Only with the writer thread (see encodedWrites): throws SSW_ERR_STORE_NO_WRITER otherwise.
   */
  async writeEncoded(batch: EncodedEntries, opts: WriteBatchOptions = {}): Promise<BatchResult> {
    this.#open();
    if (!this.#writer) throw StoreErrors.noWriter('writeEncoded needs the SQLite writer thread');
    return this.#writer.call('writeEncoded', [batch, opts], [batch.bytes.buffer, batch.lengths.buffer]);
  }

  /** Where writes and long reads run: 'worker' (the SQLite writer thread), else 'inline' (this thread; MySQL's are network round trips). */
  get writer(): 'worker' | 'inline' {
    return this.#writer ? 'worker' : 'inline';
  }

  /** Name of the daily table a CDR with this start time goes to. */
  tableFor(startTime: number): string {
    return cdrTableName(this.#days.day(startTime));
  }

  /** Stores CDRs (no ledger); returns how many were new. */
  async insertCdrs(recs: readonly CdrRecord[]): Promise<number> {
    return (await this.writeBatch(recs.map((cdr) => ({ cdr })))).inserted;
  }

  /**
   * Stores CDRs and their ledger changes in one transaction, creating daily tables on demand.
   * Idempotent: a CDR whose flowNo is stored already is left out with all its ledger changes (only
   * CDRs actually inserted are debited), and a change already in the ledger for the same
   * (account, reason, flowNo) is skipped too, so replaying a batch changes nothing.
   */
  async writeBatch(entries: readonly CdrEntry[], opts: WriteBatchOptions = {}): Promise<BatchResult> {
    this.#open();
    if (this.#writer) return entries.length ? this.#writer.call('writeBatch', [entries, opts]) : { inserted: 0, applied: [] };
    if (opts.assumeNew) {
      try {
        return await this.#writeBatch(entries, true);
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        // Some change was applied before after all (the transaction rolled back): do it the careful way.
      }
    }
    return this.#writeBatch(entries, false);
  }

  async #writeBatch(entries: readonly CdrEntry[], assumeNew: boolean): Promise<BatchResult> {
    this.#open();
    if (entries.length === 0) return { inserted: 0, applied: [] };
    // The first entry of a flowNo wins, inside a batch as across batches.
    const seen = new Set<string>();
    const byTable = new Map<string, CdrEntry[]>();
    for (const e of entries) {
      if (seen.has(e.cdr.flowNo)) continue;
      seen.add(e.cdr.flowNo);
      const t = this.tableFor(e.cdr.startTime);
      let es = byTable.get(t);
      if (!es) byTable.set(t, (es = []));
      es.push(e);
    }
    for (const t of byTable.keys()) await this.#ensureTable(t);
    // 30-odd columns a row: 500 rows stay under SQLite's 32766 bound parameters.
    const chunk = this.kind === 'sqlite' ? 500 : 2000;
    return this.#db.transaction().execute(async (tx) => {
      let inserted = 0;
      const fresh: CdrEntry[] = [];
      for (const [t, all] of byTable) {
        // A replay: leave out the CDRs stored before, so only the debits of new CDRs are applied.
        const es = assumeNew ? all : await this.#notStored(tx, t, all);
        for (let i = 0; i < es.length; i += chunk) {
          const part = es.slice(i, i + chunk);
          const n = await this.#bulkInsert(tx, t, part.map((e) => cdrToRow(e.cdr, this.kind)), true);
          // Fewer rows than sent: some flowNo was there after all (a first attempt that was not, or
          // another node racing us). Roll back: their debits must not be applied.
          if (n !== part.length) throw new AlreadyStored(`${part.length - n} of ${part.length} CDRs in ${t} were stored already`);
          inserted += n;
          for (const e of part) fresh.push(e);
        }
      }
      const applied = await this.#applyLedger(tx, fresh, assumeNew);
      return { inserted, applied };
    });
  }

  /** The entries whose flowNo is not in table `t` yet. */
  async #notStored(tx: Kysely<any>, t: string, es: readonly CdrEntry[]): Promise<CdrEntry[]> {
    const have = new Set<string>();
    for (let i = 0; i < es.length; i += 1000) {
      const rows = await tx.selectFrom(t).select('flow_no').where('flow_no', 'in', es.slice(i, i + 1000).map((e) => e.cdr.flowNo)).execute();
      for (const r of rows) have.add(String(r.flow_no));
    }
    return have.size ? es.filter((e) => !have.has(e.cdr.flowNo)) : [...es];
  }

  /**
   * Applies balance changes that come with no CDR (recharge, adjustment) in one transaction; `ref`
   * makes it idempotent (a retried request applies once). Returns the balances after.
   */
  async applyLedger(changes: readonly LedgerChange[], ref: string, time: number): Promise<BatchResult['applied']> {
    this.#open();
    if (this.#writer) return this.#writer.call('applyLedger', [changes, ref, time]);
    const entry = { cdr: { flowNo: ref, endTime: time } as CdrRecord, ledger: changes };
    return this.#db.transaction().execute((tx) => this.#applyLedger(tx, [entry], false));
  }

  async #applyLedger(tx: Kysely<any>, entries: readonly CdrEntry[], assumeNew: boolean): Promise<BatchResult['applied'][number][]> {
    const wanted: { c: LedgerChange; ref: string; time: number }[] = [];
    for (const e of entries) for (const c of e.ledger ?? []) wanted.push({ c, ref: e.cdr.flowNo, time: e.cdr.endTime });
    if (wanted.length === 0) return [];
    const refs = assumeNew ? [] : [...new Set(wanted.map((w) => w.ref))];
    const done = new Set<string>();
    for (let i = 0; i < refs.length; i += 500) {
      const rows = await tx.selectFrom('balance_ledger').select(['account', 'reason', 'ref']).where('ref', 'in', refs.slice(i, i + 500)).execute();
      for (const r of rows) done.add(`${r.account}\u0000${r.reason}\u0000${r.ref}`);
    }
    const todo = wanted.filter((w) => {
      const k = `${w.c.account}\u0000${w.c.reason}\u0000${w.ref}`;
      if (done.has(k)) return false;
      done.add(k); // the same change twice inside one batch also counts once
      return true;
    });
    if (todo.length === 0) return [];
    const accounts = [...new Set(todo.map((w) => w.c.account))];
    let q = tx.selectFrom('accounts').select(['id', 'balance']).where('id', 'in', accounts);
    if (this.kind === 'mysql') q = q.forUpdate(); // serialise with other nodes debiting the same account
    const bal = new Map<string, bigint>();
    const inTable = new Set<string>();
    for (const r of await q.execute()) {
      bal.set(String(r.id), BigInt(r.balance));
      inTable.add(String(r.id));
    }
    // Accounts not configured here (e.g. vendors known only to billing) keep their running balance in the ledger.
    const others = accounts.filter((a) => !bal.has(a));
    for (const a of others) bal.set(a, 0n);
    if (others.length) {
      const last = await tx.selectFrom('balance_ledger').select(['account', 'balance_after'])
        .where('id', 'in', tx.selectFrom('balance_ledger').select((eb) => eb.fn.max('id').as('m')).where('account', 'in', others).groupBy('account'))
        .execute();
      for (const r of last) bal.set(String(r.account), BigInt(r.balance_after));
    }
    const money = this.kind === 'sqlite' ? (v: bigint) => v : (v: bigint) => v.toString();
    const out: BatchResult['applied'][number][] = [];
    const rows = todo.map((w) => {
      const after = bal.get(w.c.account)! + w.c.amount;
      bal.set(w.c.account, after);
      out.push({ ...w.c, ref: w.ref, balanceAfter: after });
      return {
        account: cut(w.c.account, 64), amount: money(w.c.amount), reason: cut(w.c.reason, 32), ref: cut(w.ref, 128), balance_after: money(after), time: w.time,
        package_id: cut(w.c.packageId ?? '', 64), package_seconds: w.c.packageSeconds ?? 0, memo: cut(w.c.memo ?? '', 255),
      };
    });
    for (let i = 0; i < rows.length; i += 1000) await this.#bulkInsert(tx, 'balance_ledger', rows.slice(i, i + 1000), false);
    await this.#addToBalances(tx, todo, inTable);
    return out;
  }

  // One UPDATE for every configured account of the batch: balance + CASE id WHEN .. THEN delta END.
  // Relative, so it composes with any other writer; the rows are locked by the SELECT .. FOR UPDATE.
  async #addToBalances(tx: Kysely<any>, todo: readonly { c: LedgerChange }[], inTable: ReadonlySet<string>): Promise<void> {
    const delta = new Map<string, bigint>();
    for (const w of todo) if (inTable.has(w.c.account)) delta.set(w.c.account, (delta.get(w.c.account) ?? 0n) + w.c.amount);
    for (const [a, d] of delta) if (d === 0n) delta.delete(a);
    const ids = [...delta.keys()];
    // MySQL would add a quoted string as a DOUBLE: cast the bound decimal string back to an integer.
    const amount = this.kind === 'mysql' ? 'cast(? as signed)' : '?';
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      const params: unknown[] = [];
      for (const a of part) params.push(a, this.kind === 'mysql' ? delta.get(a)!.toString() : delta.get(a)!);
      params.push(...part);
      const text = `update accounts set balance = balance + case id${' when ? then '.concat(amount).repeat(part.length)} end where id in (${new Array<string>(part.length).fill('?').join(', ')})`;
      await tx.executeQuery(CompiledQuery.raw(text, params));
    }
  }

  // A multi-row INSERT whose SQL is Kysely's own one-row statement with its VALUES tuple repeated:
  // same SQL as .values(rows), without compiling an AST node per value (15 ms per 1000 CDRs).
  async #bulkInsert(tx: Kysely<any>, table: string, rows: readonly Record<string, unknown>[], orIgnore: boolean): Promise<number> {
    const key = `${orIgnore ? 'i' : 'n'}:${table}`;
    let tpl = this.#insertTpl.get(key);
    if (!tpl) {
      let q = this.#db.insertInto(table).values(rows[0]!);
      if (orIgnore) q = q.orIgnore();
      const c = q.compile();
      const at = c.sql.lastIndexOf(' values ') + ' values '.length;
      tpl = { head: c.sql.slice(0, at), tuple: c.sql.slice(at), cols: Object.keys(rows[0]!) };
      this.#insertTpl.set(key, tpl);
    }
    const params: unknown[] = new Array(rows.length * tpl.cols.length);
    let k = 0;
    for (const r of rows) for (const c of tpl.cols) params[k++] = r[c];
    const text = tpl.head + new Array<string>(rows.length).fill(tpl.tuple).join(', ');
    const res = await tx.executeQuery(CompiledQuery.raw(text, params));
    return Number(res.numAffectedRows ?? 0n);
  }

  /** An account's stored balance in minor units (the accounts row, else its last ledger entry, else 0). */
  async balance(account: string): Promise<bigint> {
    this.#open();
    const a = await this.#db.selectFrom('accounts').select('balance').where('id', '=', account).executeTakeFirst();
    if (a) return BigInt(a.balance);
    const l = await this.#db.selectFrom('balance_ledger').select('balance_after').where('account', '=', account).orderBy('id', 'desc').limit(1).executeTakeFirst();
    return l ? BigInt(l.balance_after) : 0n;
  }

  /** An account's ledger, oldest first. */
  async ledger(account: string): Promise<LedgerRow[]> {
    this.#open();
    if (this.#writer) return this.#writer.call('ledger', [account]); // may be long: not on this thread
    const rows = await this.#db.selectFrom('balance_ledger').selectAll().where('account', '=', account).orderBy('id').execute();
    return rows.map((r) => ({
      account: String(r.account), amount: BigInt(r.amount), reason: String(r.reason), ref: String(r.ref),
      balanceAfter: BigInt(r.balance_after), time: Number(r.time), packageId: String(r.package_id ?? ''), packageSeconds: Number(r.package_seconds ?? 0),
      memo: String(r.memo ?? ''),
    }));
  }

  /**
   * Seconds each package has given so far, summed over the stored ledger: key `account + '\u0000' +
   * packageId`. `accounts` limits it to those accounts.
   */
  async packageUsage(accounts?: readonly string[]): Promise<Map<string, number>> {
    this.#open();
    let q = this.#db.selectFrom('balance_ledger').select(['account', 'package_id', (eb) => eb.fn.sum<number | string>('package_seconds').as('used')])
      .where('package_id', '<>', '').groupBy(['account', 'package_id']);
    if (accounts !== undefined) {
      if (accounts.length === 0) return new Map();
      q = q.where('account', 'in', [...accounts]);
    }
    const out = new Map<string, number>();
    for (const r of await q.execute()) out.set(`${String(r.account)}\u0000${String(r.package_id)}`, Number(r.used));
    return out;
  }

  /** Names of every daily CDR table present, oldest first. */
  async listCdrTables(): Promise<string[]> {
    this.#open();
    const r = this.kind === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name like 'cdr\_%' escape '\\'`.execute(this.#db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = database() and table_name like 'cdr\\_%'`.execute(this.#db);
    const names = r.rows.map((x) => String(x.name)).filter((n) => dayOfCdrTable(n) !== null).sort();
    for (const n of names) this.#known.add(n);
    return names;
  }

  /** Drops daily CDR tables whose day is more than `days` days before `now`'s day; returns their names. */
  async dropCdrTablesOlderThan(days: number, now: number = Date.now()): Promise<string[]> {
    this.#open();
    // The writer thread remembers which tables exist: it must be the one to drop them.
    if (this.#writer) return this.#writer.call('dropCdrTablesOlderThan', [days, now]);
    const cutoff = this.#days.day(now - days * DAY_MS);
    const dropped: string[] = [];
    for (const t of await this.listCdrTables()) {
      if (dayOfCdrTable(t)! >= cutoff) continue;
      await this.#db.schema.dropTable(t).ifExists().execute();
      this.#known.delete(t);
      dropped.push(t);
    }
    return dropped;
  }

  /** One page of CDRs in [from, to] matching the filters, ordered by start time then flowNo. Refuses ranges over maxDayInterval days. */
  async queryCdrs(q: CdrQuery, limits: { readonly maxDayInterval: number; readonly pageSize: number } = this): Promise<CdrPage> {
    this.#open();
    // A 10,000-row page took ~130 ms of synchronous SQLite: on the writer thread, not this one.
    // The limits in force go with the query: the thread's own Store keeps the ones it started with.
    if (this.#writer) return this.#writer.call('queryCdrs', [q, { maxDayInterval: limits.maxDayInterval, pageSize: limits.pageSize }]);
    const pageSize = Math.min(q.pageSize ?? limits.pageSize, limits.pageSize);
    const page = Math.max(1, Math.floor(q.page ?? 1));
    const union = await this.#unionFor(q, limits.maxDayInterval);
    if (!union) return { rows: [], total: 0, page, pageSize };
    const count = await this.#db.selectFrom(union.as('u')).select(sql<number>`count(*)`.as('n')).executeTakeFirst();
    const rows = await this.#db.selectFrom(union.as('u')).selectAll()
      .orderBy('start_time').orderBy('flow_no').limit(pageSize).offset((page - 1) * pageSize).execute();
    return { rows: rows.map(rowToCdr), total: Number(count?.n ?? 0), page, pageSize };
  }

  async #unionFor(q: CdrQuery, maxDayInterval: number): Promise<SelectQueryBuilder<any, any, any> | null> {
    if (!Number.isFinite(q.from) || !Number.isFinite(q.to) || q.to < q.from) throw StoreErrors.badRange(`bad CDR range ${q.from}..${q.to}`);
    // A span longer than maxDayInterval+1 days touches more local days than allowed whatever the zone:
    // refuse it before walking it (a 100-year range would cost seconds of Intl calls).
    const days = q.to - q.from > (maxDayInterval + 1) * DAY_MS ? { length: Infinity } : this.#days.daysBetween(q.from, q.to);
    if (days.length > maxDayInterval) {
      throw StoreErrors.rangeTooLong(`CDR query spans ${days.length} days; at most ${maxDayInterval} (SERVER_QUERY_CDR_MAX_DAY_INTERVAL)`, { days: days.length, max: maxDayInterval });
    }
    const present = new Set(await this.listCdrTables());
    const tables = (days as string[]).map(cdrTableName).filter((t) => present.has(t));
    let union: SelectQueryBuilder<any, any, any> | null = null;
    for (const t of tables) {
      let s = this.#db.selectFrom(t).selectAll().where('start_time', '>=', q.from).where('start_time', '<=', q.to);
      if (q.account !== undefined) s = s.where('account', '=', q.account);
      if (q.gateway !== undefined) s = s.where((eb) => eb.or([eb('ingress_gateway', '=', q.gateway!), eb('egress_gateway', '=', q.gateway!)]));
      if (q.endReason !== undefined) s = s.where('end_reason', '=', q.endReason);
      // substr rather than LIKE: no wildcard escaping, and both back ends spell it the same.
      if (q.callerPrefix) s = s.where(sql<boolean>`substr(caller_access, 1, ${q.callerPrefix.length}) = ${q.callerPrefix}`);
      if (q.calleePrefix) s = s.where(sql<boolean>`substr(callee_access, 1, ${q.calleePrefix.length}) = ${q.calleePrefix}`);
      union = union ? union.unionAll(s) : s;
    }
    return union;
  }

  /** Writes every CDR in the range as CSV (header = CdrRecord field names, money as decimals) to `out`; returns the row count. Does not end `out`. */
  async exportCdrsCsv(range: Omit<CdrQuery, 'page' | 'pageSize'>, out: Writable): Promise<number> {
    const csv = stringify({ header: true, columns: CSV_COLUMNS as string[] });
    csv.pipe(out, { end: false });
    const finished = once(csv, 'end');
    let n = 0;
    try {
      for (let page = 1; ; page++) {
        const p = await this.queryCdrs({ ...range, page, pageSize: this.pageSize });
        for (const r of p.rows) {
          const rec: Record<string, unknown> = {};
          for (const c of CSV_COLUMNS) {
            const v = r[c];
            rec[c] = typeof v === 'bigint' ? formatMinor(v) : typeof v === 'boolean' ? (v ? 1 : 0) : v;
          }
          if (!csv.write(rec)) await once(csv, 'drain');
          n++;
        }
        if (page * p.pageSize >= p.total) break;
      }
    } finally {
      csv.end();
    }
    await finished;
    return n;
  }

  /** Replaces the configuration entities with `net` (see importNetwork). */
  async importNetwork(net: StoredNetwork): Promise<void> {
    this.#open();
    if (this.#writer) return this.#writer.call('importNetwork', [net]);
    await writeNetwork(this.#db, this.kind, net);
  }

  /**
   * Makes sure every configured account has a row (a new one starts at its configured balance) and
   * returns each account's stored balance: balances live in the store, config files only seed them.
   */
  async ensureAccounts(accounts: readonly Account[]): Promise<Map<string, bigint>> {
    this.#open();
    if (this.#writer) return this.#writer.call('ensureAccounts', [accounts]);
    const out = new Map<string, bigint>();
    for (const a of accounts) {
      const row = await this.#db.selectFrom('accounts').select('balance').where('id', '=', a.id).executeTakeFirst();
      if (row) {
        out.set(a.id, BigInt(row.balance));
        continue;
      }
      const bal = toMinor(a.balance);
      const money = (v: bigint) => (this.kind === 'sqlite' ? v : v.toString());
      await this.#db.insertInto('accounts').values({
        id: a.id, name: a.name, prepaid: a.prepaid ? 1 : 0, balance: money(bal), credit_limit: money(toMinor(a.creditLimit)),
        rate_group: a.rateGroup, locked: a.locked ? 1 : 0, capacity: a.capacity, extra: '{}',
      }).execute();
      out.set(a.id, bal);
    }
    return out;
  }

  /** Network changes made through the admin API, oldest first (applied over network.yaml). */
  async networkChanges(): Promise<NetworkChange[]> {
    this.#open();
    return readNetworkChanges(this.#db);
  }

  /** Stores one entity's change (body null = deleted) before it is put in force. */
  async recordNetworkChange(c: Omit<NetworkChange, 'seq'>): Promise<NetworkChange> {
    this.#open();
    // Its transaction reads before it writes: on this thread's connection it would meet the writer
    // thread's commits as SQLITE_BUSY ("database is locked") at once, without the busy wait.
    if (this.#writer) return this.#writer.call('recordNetworkChange', [c]);
    return writeNetworkChange(this.#db, c);
  }

  /** Reads the configuration entities back. */
  async exportNetwork(): Promise<StoredNetwork> {
    this.#open();
    if (this.#writer) return this.#writer.call('exportNetwork', []);
    return readNetwork(this.#db);
  }

  /** Creates an empty rate group; false when it exists already. */
  async createRateGroup(name: string): Promise<boolean> {
    this.#open();
    if (this.#writer) return this.#writer.call('createRateGroup', [name]);
    return createRateGroup(this.#db, name);
  }

  /** Deletes a rate group and its rows in one transaction; false when it was not stored. */
  async deleteRateGroup(name: string): Promise<boolean> {
    this.#open();
    if (this.#writer) return this.#writer.call('deleteRateGroup', [name]);
    return deleteRateGroup(this.#db, name);
  }

  /** Stores one rate row of `group`, replacing the row with the same prefix and effective time. */
  async putRate(group: string, row: RateTuple): Promise<void> {
    this.#open();
    if (this.#writer) return this.#writer.call('putRate', [group, row]);
    return putRate(this.#db, this.kind, group, row);
  }

  /** Deletes one rate row; false when there was none. */
  async deleteRate(group: string, prefix: string, effectiveFrom: number): Promise<boolean> {
    this.#open();
    if (this.#writer) return this.#writer.call('deleteRate', [group, prefix, effectiveFrom]);
    return deleteRate(this.#db, group, prefix, effectiveFrom);
  }

  /**
   * Replaces every row of a rate group with the rows posted on `rows` (RateRowsMessage), in one
   * transaction, committed only if the producer's end says so; `progress` (optional) gets rows
   * stored. Both ports are moved to the writer thread, which then hears the producer directly:
   * the rows never pass through this thread. The writer runs nothing else meanwhile (CDR batches
   * queue behind the import, as they would wait for its write lock). Resolves with whether it committed.
   */
  async replaceRates(group: string, rows: MessagePort, progress?: MessagePort): Promise<boolean> {
    this.#open();
    if (this.#writer) return this.#writer.call('replaceRates', [group, rows, progress], progress ? [rows, progress] : [rows]);
    return replaceRates(this.#db, this.kind, group, rows, progress);
  }

  /** Posts every stored rate group's name and rate row on `port` (RateRowsMessage; moved to the writer thread); returns the rows sent. */
  async readRates(port: MessagePort): Promise<number> {
    this.#open();
    if (this.#writer) return this.#writer.call('readRates', [port], [port]);
    return readRates(this.#db, port);
  }

  /** Closes the connection pool / file; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#writer?.close();
    } finally {
      await this.#db.destroy();
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #ensureTable(t: string): Promise<void> {
    if (this.#known.has(t)) return;
    await createCdrTable(this.#db, this.kind, t);
    this.#known.add(t);
  }

  #open(): void {
    if (this.#closed) throw StoreErrors.closed('store is closed');
  }
}

/** Opens the store named by `url` (`sqlite:<path>`, `sqlite::memory:`, `mysql://user:pass@host:port/db`) and migrates it. */
export function openStore(url: string, o: StoreOptions = {}): Promise<Store> {
  return Store.open(url, o);
}

/** Replaces the store's configuration entities with those of a network (config files -> store). */
export function importNetwork(store: Store, net: StoredNetwork): Promise<void> {
  return store.importNetwork(net);
}

/** Reads the store's configuration entities (store -> config files). */
export function exportNetwork(store: Store): Promise<StoredNetwork> {
  return store.exportNetwork();
}
