import { sql, type Kysely, type CreateTableBuilder } from 'kysely';
import type { StoreKind } from './connect.js';
import { StoreErrors } from './errors.js';

/**
 * Versioned schema. Each migration is a function over Kysely's schema builder, so the DDL of
 * both back ends lives here once. Append new migrations; never edit an applied one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Kysely<any>, kind: StoreKind): Promise<void>;
}

/** An auto-increment BIGINT primary key, spelled as each back end wants it. */
function idColumn<T extends string>(t: CreateTableBuilder<T, any>, kind: StoreKind) {
  return kind === 'sqlite'
    ? t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    : t.addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement());
}

const name = 'varchar(64)';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'config entities, parameters, balance ledger',
    async up(db, kind) {
      await db.schema.createTable('accounts').ifNotExists()
        .addColumn('id', name, (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
        .addColumn('prepaid', 'smallint', (c) => c.notNull().defaultTo(1))
        .addColumn('balance', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('credit_limit', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('rate_group', name, (c) => c.notNull().defaultTo(''))
        .addColumn('locked', 'smallint', (c) => c.notNull().defaultTo(0))
        .addColumn('capacity', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('extra', 'text')
        .execute();
      await db.schema.createTable('mapping_gateways').ifNotExists()
        .addColumn('name', name, (c) => c.primaryKey())
        .addColumn('account', name, (c) => c.notNull().defaultTo(''))
        .addColumn('locked', 'smallint', (c) => c.notNull().defaultTo(0))
        .addColumn('capacity', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cps', 'integer', (c) => c.notNull().defaultTo(0))
        // Lists are JSON text: they are read whole and never queried by element.
        .addColumn('remote_ips', 'text', (c) => c.notNull())
        .addColumn('allow_groups', 'text', (c) => c.notNull())
        .addColumn('deny_groups', 'text', (c) => c.notNull())
        .addColumn('callee_rules', 'text', (c) => c.notNull())
        .addColumn('caller_rules', 'text', (c) => c.notNull())
        .addColumn('extra', 'text')
        .execute();
      await db.schema.createTable('routing_gateways').ifNotExists()
        .addColumn('name', name, (c) => c.primaryKey())
        .addColumn('gw_id', 'integer', (c) => c.notNull())
        .addColumn('address', 'varchar(255)', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('transport', 'varchar(8)', (c) => c.notNull())
        .addColumn('local_ip', 'varchar(64)', (c) => c.notNull().defaultTo(''))
        .addColumn('prefixes', 'text', (c) => c.notNull())
        .addColumn('prefix_priority', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('weight', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('groups_json', 'text', (c) => c.notNull())
        .addColumn('locked', 'smallint', (c) => c.notNull().defaultTo(0))
        .addColumn('capacity', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cps', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('callee_rules', 'text', (c) => c.notNull())
        .addColumn('caller_rules', 'text', (c) => c.notNull())
        .addColumn('timeouts', 'text', (c) => c.notNull())
        .addColumn('extra', 'text')
        .execute();
      await db.schema.createTable('rate_groups').ifNotExists()
        .addColumn('name', name, (c) => c.primaryKey())
        .addColumn('extra', 'text')
        .execute();
      await idColumn(db.schema.createTable('rates').ifNotExists(), kind)
        .addColumn('rate_group', name, (c) => c.notNull())
        .addColumn('prefix', 'varchar(32)', (c) => c.notNull())
        .addColumn('area_name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
        .addColumn('rate', 'bigint', (c) => c.notNull())
        .addColumn('connection_fee', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('first_period', 'integer', (c) => c.notNull().defaultTo(60))
        .addColumn('next_period', 'integer', (c) => c.notNull().defaultTo(60))
        .addColumn('effective_time', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('locked', 'smallint', (c) => c.notNull().defaultTo(0))
        .addColumn('extra', 'text')
        .execute();
      await db.schema.createIndex('rates_group_prefix').ifNotExists().on('rates').columns(['rate_group', 'prefix', 'effective_time']).execute();
      await db.schema.createTable('dial_plans').ifNotExists()
        .addColumn('name', name, (c) => c.primaryKey())
        .addColumn('rules', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createTable('phones').ifNotExists()
        .addColumn('number', name, (c) => c.primaryKey())
        .addColumn('account', name, (c) => c.notNull().defaultTo(''))
        .addColumn('password', 'varchar(128)', (c) => c.notNull().defaultTo(''))
        .addColumn('locked', 'smallint', (c) => c.notNull().defaultTo(0))
        .addColumn('extra', 'text')
        .execute();
      await db.schema.createTable('parameters').ifNotExists()
        .addColumn('name', name, (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await idColumn(db.schema.createTable('balance_ledger').ifNotExists(), kind)
        .addColumn('account', name, (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'varchar(32)', (c) => c.notNull())
        .addColumn('ref', 'varchar(128)', (c) => c.notNull())
        .addColumn('balance_after', 'bigint', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        // One change per (ref, account, reason): a replayed CDR cannot debit twice. ref leads, as
        // the drainer looks a batch's refs up before applying it.
        .addUniqueConstraint('balance_ledger_once', ['ref', 'account', 'reason'])
        .execute();
      await db.schema.createIndex('balance_ledger_account').ifNotExists().on('balance_ledger').columns(['account', 'id']).execute();
    },
  },
  {
    version: 2,
    name: 'network changes made through the admin API',
    async up(db) {
      // One row per changed entity: its body as the API took it (JSON), or NULL when deleted.
      await db.schema.createTable('network_changes').ifNotExists()
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('name', name, (c) => c.notNull())
        .addColumn('body', 'text')
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('network_changes_pk', ['kind', 'name'])
        .execute();
    },
  },
  {
    version: 3,
    name: 'package seconds and memos in the balance ledger',
    async up(db) {
      // A call's ledger entry carries the free seconds it took from a package; what a package has
      // given is the sum over its entries, so it is exactly-once with the entry itself.
      await db.schema.alterTable('balance_ledger').addColumn('package_id', name, (c) => c.notNull().defaultTo('')).execute();
      await db.schema.alterTable('balance_ledger').addColumn('package_seconds', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('balance_ledger').addColumn('memo', 'varchar(255)', (c) => c.notNull().defaultTo('')).execute();
      await db.schema.createIndex('balance_ledger_package').ifNotExists().on('balance_ledger').columns(['package_id', 'account']).execute();
    },
  },
];

/** Applies every migration newer than the recorded version, in order; safe to call on every start. */
export async function migrate(db: Kysely<any>, kind: StoreKind): Promise<number> {
  await db.schema.createTable('schema_version').ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('applied_at', 'bigint', (c) => c.notNull())
    .execute();
  const row = await db.selectFrom('schema_version').select(sql<number>`max(version)`.as('v')).executeTakeFirst();
  let current = Number(row?.v ?? 0);
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    try {
      await m.up(db, kind);
      await db.insertInto('schema_version').orIgnore().values({ version: m.version, name: m.name, applied_at: Date.now() }).execute();
    } catch (e) {
      throw StoreErrors.migration(`migration ${m.version} (${m.name}) failed: ${(e as Error).message}`, { version: m.version });
    }
    current = m.version;
  }
  return current;
}
