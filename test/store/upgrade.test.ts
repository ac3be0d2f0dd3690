// A store written by an earlier version (schema 2, before package seconds and memos in the ledger)
// is upgraded in place at open: its ledger rows read back with no package and no memo, and new
// rows carry both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openStore } from '../../src/store/index.js';

test('a schema-2 SQLite store upgrades to the current schema and keeps its ledger', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssw-upgrade-'));
  const file = join(dir, 'old.db');
  try {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(file) }) });
    await db.schema.createTable('schema_version').addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull()).addColumn('applied_at', 'bigint', (c) => c.notNull()).execute();
    for (const m of MIGRATIONS.filter((x) => x.version <= 2)) {
      await m.up(db, 'sqlite');
      await db.insertInto('schema_version').values({ version: m.version, name: m.name, applied_at: 1 }).execute();
    }
    await db.insertInto('balance_ledger').values({ account: 'old', amount: -5n, reason: 'call', ref: 'f-old', balance_after: -5n, time: 1 }).execute();
    await db.destroy();

    const store = await openStore(`sqlite:${file}`, { timeZone: 'UTC' });
    try {
      assert.equal(store.schemaVersion, MIGRATIONS[MIGRATIONS.length - 1]!.version);
      await store.applyLedger([{ account: 'old', amount: 10n, reason: 'adjustment', memo: 'after the upgrade' }], 'adj-1', 2);
      const rows = await store.ledger('old');
      assert.deepEqual(rows.map((r) => [r.amount, r.packageId, r.packageSeconds, r.memo, r.balanceAfter]), [[-5n, '', 0, '', -5n], [10n, '', 0, 'after the upgrade', 5n]]);
      assert.deepEqual(await store.packageUsage(), new Map());
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
