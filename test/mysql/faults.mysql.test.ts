// Nothing lost: SIPp drives calls through a running switch whose CDRs go to MariaDB, while the
// database goes away and comes back, and while the switch itself is killed with SIGKILL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { writeNetworkConfig } from '../helpers/switch.js';
import { spawnSwitch } from '../helpers/process.js';
import { runSipp } from '../helpers/sipp.js';
import { mysqlDb, Relay } from './helpers.js';

const OPENING = 1000n * 10_000_000n;

function network(sw: string, carrier: string, dbUrl: string): string {
  return writeNetworkConfig({
    ip: sw, dbUrl,
    rates: { std: '44,UK,international,0.6,1,1,0,,2020-01-01T00:00:00Z,0\n' },
    network: {
      accounts: [{ id: 'pre', name: 'prepaid', prepaid: true, balance: '1000.00', rateGroup: 'std' }],
      mappingGateways: [{ name: 'sipp', remoteIps: ['127.0.0.1'], account: 'pre' }],
      routingGateways: [{ name: 'k', address: carrier, port: 5080, prefixes: ['44'] }],
    },
  });
}

interface Tally { count: number; fees: bigint; byReason: Map<string, number>; callerCallIds: Set<string> }

async function tally(dbName: string): Promise<Tally> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: dbName });
  try {
    const [tables] = await c.query(`select table_name as t from information_schema.tables where table_schema = ? and table_name like 'cdr\\_%'`, [dbName]);
    const t: Tally = { count: 0, fees: 0n, byReason: new Map(), callerCallIds: new Set() };
    for (const { t: name } of tables as Array<{ t: string }>) {
      const [rows] = await c.query(`select end_reason as r, fee as f, caller_call_id as cid from \`${name}\``);
      for (const r of rows as Array<{ r: string; f: string | number; cid: string }>) {
        t.count++;
        t.fees += BigInt(r.f);
        t.byReason.set(r.r, (t.byReason.get(r.r) ?? 0) + 1);
        t.callerCallIds.add(r.cid);
      }
    }
    return t;
  } finally {
    await c.end();
  }
}

async function balance(dbName: string): Promise<bigint> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: dbName });
  try {
    const [rows] = await c.query('select balance from accounts where id = ?', ['pre']);
    return BigInt((rows as Array<{ balance: string }>)[0]!.balance);
  } finally {
    await c.end();
  }
}

async function until(pred: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function uas(ip: string): ChildProcess {
  return spawn('sipp', ['-sn', 'uas', '-i', ip, '-p', '5080', '-nostdin'], { stdio: 'ignore' });
}

test('MariaDB goes away for seconds while SIPp drives calls: every call is one CDR once it is back, balance = sum of fees', { timeout: 120_000 }, async () => {
  const db = mysqlDb('fault');
  await db.drop();
  const relay = new Relay();
  await relay.up();
  const dir = network('127.0.0.70', '127.0.0.71', `mysql://root@127.0.0.1:${relay.port}/${db.name}`);
  const carrier = uas('127.0.0.71');
  const proc = await spawnSwitch(dir);
  try {
    const load = runSipp(['-sn', 'uac', '127.0.0.70:5060', '-s', '44123', '-i', '127.0.0.1', '-p', '5075', '-m', '1200', '-r', '100', '-d', '300', '-timeout', '60s', '-timeout_error'], 90_000).done;
    await new Promise((r) => setTimeout(r, 3000));
    await relay.down(); // the database is gone: connections reset, the port refuses
    await new Promise((r) => setTimeout(r, 6000));
    await relay.up();
    const r = await load;
    assert.equal(r.failed, 0, r.stdout.slice(-1500));
    assert.equal(r.successful, 1200);
    await until(async () => (await tally(db.name)).count >= 1200, 60_000, 'the journal to drain into MariaDB');
    await new Promise((res) => setTimeout(res, 500));
    const t = await tally(db.name);
    assert.equal(t.count, 1200, 'exactly one CDR per call, none doubled');
    assert.equal(t.byReason.get('normal-clearing'), 1200);
    assert.ok(t.fees > 0n);
    assert.equal(await balance(db.name), OPENING - t.fees);
  } finally {
    carrier.kill('SIGKILL');
    await proc.stop();
    await relay.down();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kill -9 under load: every call SIPp saw finish has its CDR, calls up at the crash get "server restart" CDRs, balance = sum of fees', { timeout: 120_000 }, async () => {
  const db = mysqlDb('kill');
  await db.drop();
  const dir = network('127.0.0.72', '127.0.0.73', db.url);
  const carrier = uas('127.0.0.73');
  const msgs = join(dir, 'uac-messages.log');
  let proc = await spawnSwitch(dir);
  try {
    const load = runSipp(['-sn', 'uac', '127.0.0.72:5060', '-s', '44123', '-i', '127.0.0.1', '-p', '5076', '-m', '1000', '-r', '100', '-d', '2000',
      '-recv_timeout', '3000', '-timeout', '60s', '-trace_msg', '-message_file', msgs], 90_000).done;
    await new Promise((r) => setTimeout(r, 6000));
    proc.child.kill('SIGKILL');
    await proc.exited;
    await load;
    // Calls whose BYE got its 200 from the switch: they finished, so their CDRs must exist.
    const finished = new Set<string>();
    for (const block of readFileSync(msgs, 'latin1').split(/\n-{10,}/)) {
      if (!/message received/.test(block) || !/^SIP\/2\.0 200/m.test(block) || !/^CSeq:\s*\d+ BYE/im.test(block)) continue;
      const m = /^Call-ID:\s*(\S+)/im.exec(block);
      if (m) finished.add(m[1]!);
    }
    assert.ok(finished.size > 50, `${finished.size} calls finished before the kill`);
    proc = await spawnSwitch(dir); // replays the journal: finished CDRs and restart CDRs drain
    await until(async () => {
      const t = await tally(db.name);
      return [...finished].every((id) => t.callerCallIds.has(id)) && (t.byReason.get('server restart') ?? 0) > 0;
    }, 60_000, 'the replayed journal to drain');
    await new Promise((res) => setTimeout(res, 1000));
    const t = await tally(db.name);
    for (const id of finished) assert.ok(t.callerCallIds.has(id), `CDR of finished call ${id}`);
    assert.ok((t.byReason.get('server restart') ?? 0) > 0, 'calls up at the crash were billed as "server restart"');
    assert.equal(t.callerCallIds.size, t.count, 'one CDR per call, none doubled');
    assert.equal(await balance(db.name), OPENING - t.fees, 'the balance is the opening balance minus every CDR fee');
  } finally {
    carrier.kill('SIGKILL');
    await proc.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
