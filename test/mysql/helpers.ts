import mysql from 'mysql2/promise';
import { createServer, connect, type Server, type Socket } from 'node:net';

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

/** A TCP relay to MariaDB that can be cut (every connection reset, port refusing) and restored. */
export class Relay {
  #server: Server | null = null;
  #socks = new Set<Socket>();
  port = 0;
  async up(): Promise<void> {
    const s = createServer((c) => {
      const u = connect(3306, '127.0.0.1');
      for (const x of [c, u]) { this.#socks.add(x); x.on('close', () => this.#socks.delete(x)); x.on('error', () => {}); }
      c.pipe(u).pipe(c);
    });
    await new Promise<void>((r) => s.listen(this.port, '127.0.0.1', r));
    this.port = (s.address() as { port: number }).port;
    this.#server = s;
  }
  async down(): Promise<void> {
    for (const x of this.#socks) x.destroy();
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
    this.#server = null;
  }
}

