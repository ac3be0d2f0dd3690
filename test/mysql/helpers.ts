import mysql from 'mysql2/promise';

/** A fresh database name per run and a way to drop it. */
export function mysqlDb(tag: string): { name: string; url: string; drop: () => Promise<void> } {
  const name = `ssw_test_${tag}_${process.pid}`;
  return {
    name,
    url: `mysql://root@127.0.0.1:3306/${name}`,
    async drop() {
      const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
      try { await c.query(`DROP DATABASE IF EXISTS \`${name}\``); } finally { await c.end(); }
    },
  };
}
