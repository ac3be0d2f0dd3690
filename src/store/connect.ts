import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, MysqlDialect, SqliteDialect } from 'kysely';
import mysql from 'mysql2';
import { StoreErrors } from './errors.js';

export type StoreKind = 'sqlite' | 'mysql';

export interface ParsedUrl {
  readonly kind: StoreKind;
  /** sqlite: file path or ':memory:'. */
  readonly path?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
}

/** Parses `sqlite:<path>`, `sqlite::memory:` or `mysql://user:pass@host:port/db` (mariadb:// too). */
export function parseStoreUrl(url: string): ParsedUrl {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) throw StoreErrors.badUrl(`sqlite URL without a path: ${url}`);
    return { kind: 'sqlite', path };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw StoreErrors.badUrl(`unparsable store URL`);
    }
    const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
    if (!/^[A-Za-z0-9_]+$/.test(database)) throw StoreErrors.badUrl(`mysql URL needs a database name of [A-Za-z0-9_]: ${JSON.stringify(database)}`);
    return {
      kind: 'mysql', host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 3306,
      user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password), database,
    };
  }
  throw StoreErrors.badUrl(`store URL must start with sqlite: or mysql://`);
}

export interface Connection {
  readonly kind: StoreKind;
  readonly db: Kysely<any>;
}

/** Opens a Kysely instance over the URL's back end; for MySQL creates the database if missing. */
export async function connect(p: ParsedUrl, opts: { connectTimeoutMs?: number; poolSize?: number } = {}): Promise<Connection> {
  if (p.kind === 'sqlite') {
    if (p.path !== ':memory:') mkdirSync(dirname(p.path!), { recursive: true });
    const sqlite = new Database(p.path!);
    sqlite.pragma('journal_mode = WAL');
    // FULL: a committed drain batch must survive power loss, since its journal segment is deleted next.
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('busy_timeout = 5000');
    // Money columns are BIGINT minor units: read them as bigint so nothing above 2^53 is rounded.
    sqlite.defaultSafeIntegers(true);
    return { kind: 'sqlite', db: new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) }) };
  }
  const base = {
    host: p.host, port: p.port, user: p.user, password: p.password,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    supportBigNumbers: true, bigNumberStrings: true, charset: 'utf8mb4', timezone: 'Z',
  };
  const admin = mysql.createConnection(base).promise();
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${p.database}\` CHARACTER SET utf8mb4`);
  } finally {
    await admin.end().catch(() => admin.destroy());
  }
  const pool = mysql.createPool({ ...base, database: p.database, connectionLimit: opts.poolSize ?? 4 });
  return { kind: 'mysql', db: new Kysely<any>({ dialect: new MysqlDialect({ pool }) }) };
}
