import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { scanFrames } from '../../src/cdr/journal.js';
import { Journal, lazySink, openCdrPipeline, type CdrRecord } from '../../src/cdr/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { sampleCdr } from '../store/fixtures.js';
import { DownSink, LostAckSink, tempDir, until } from './helpers.js';

const T = Date.UTC(2026, 5, 1, 12, 0, 0);
const cdr = (i: number, over: Partial<CdrRecord> = {}) => sampleCdr(`f-${i}`, T + i, { fee: BigInt(1000 + i), ...over });
const debit = (c: CdrRecord) => ({ ledger: [{ account: c.account, amount: -c.fee, reason: 'call' }] });

async function countStored(store: Store): Promise<number> {
  return (await store.queryCdrs({ from: T - 86_400_000, to: T + 86_400_000 })).total;
}

test('group commit: concurrent appends share fsyncs; sequential ones each get one', async () => {
  const dir = tempDir('jgc');
  const j = Journal.open(dir);
  const payload = Buffer.from('x'.repeat(300));
  const segs = await Promise.all(Array.from({ length: 3000 }, () => j.append(payload)));
  assert.equal(segs.length, 3000);
  const grouped = j.fsyncCount;
  assert.ok(grouped >= 1 && grouped <= 10, `3000 concurrent appends took ${grouped} fsyncs`);
  for (let i = 0; i < 5; i++) await j.append(payload);
  assert.equal(j.fsyncCount, grouped + 5);
  await j.close();
  const again = Journal.open(dir);
  assert.equal(again.read({ seg: 1, off: 0 }, 10_000).length, 3005);
  await again.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a torn tail is cut off at open and the frames before it survive', async () => {
  const dir = tempDir('jtorn');
  const j = Journal.open(dir);
  await Promise.all([1, 2, 3].map((i) => j.append(Buffer.from(`entry-${i}`))));
  await j.close();
  const seg = readdirSync(dir).find((f) => f.startsWith('seg-'))!;
  // Half a frame header plus junk, as a crash in the middle of writev leaves.
  appendFileSync(join(dir, seg), Buffer.from([40, 0, 0, 0, 1, 2, 3, 4, 5]));
  const j2 = Journal.open(dir);
  const frames = j2.read({ seg: 1, off: 0 }, 100);
  assert.deepEqual(frames.map((f) => f.payload.toString()), ['entry-1', 'entry-2', 'entry-3']);
  assert.equal(j2.length(1), frames[2]!.end.off);
  await j2.close();
  rmSync(dir, { recursive: true, force: true });
});

test('replay after an unclean stop drains everything once', async () => {
  const dir = tempDir('jreplay');
  const store = await openStore('sqlite::memory:');
  const a = await openCdrPipeline({ dataDir: dir, store, drain: false });
  const recs = Array.from({ length: 250 }, (_, i) => cdr(i));
  await Promise.all(recs.map((r) => a.write(r, debit(r))));
  assert.equal(a.depth, 250);
  assert.equal(await countStored(store), 0);
  // No close(): the process "died" with everything journaled and nothing drained.
  const seen: bigint[] = [];
  const b = await openCdrPipeline({ dataDir: dir, store, onLedger: (applied) => { for (const x of applied) seen.push(x.balanceAfter); } });
  assert.equal(b.depth, 250);
  assert.ok(await b.waitDrained(5000));
  assert.equal(await countStored(store), 250);
  const fees = recs.reduce((s, r) => s + r.fee, 0n);
  assert.equal(await store.balance('acct-1'), -fees);
  // onLedger saw every debit once, with the running balance after each.
  assert.equal(seen.length, 250);
  assert.equal(seen[seen.length - 1], -fees);
  await b.close();
  const c = await openCdrPipeline({ dataDir: dir, store });
  assert.equal(c.depth, 0);
  await c.close();
  assert.equal(await store.balance('acct-1'), -fees);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a store that is down fills the journal, not memory, and drains when a good one comes back', async () => {
  const dir = tempDir('jdown');
  const down = new DownSink();
  const p = await openCdrPipeline({ dataDir: dir, store: down, backoffMinMs: 5, backoffMaxMs: 40 });
  const recs = Array.from({ length: 400 }, (_, i) => cdr(i));
  await Promise.all(recs.map((r) => p.write(r, debit(r))));
  await until(() => down.calls >= 4, 3000, 'retries');
  assert.equal(p.depth, 400);
  assert.ok(p.errorCount >= 4);
  assert.match(p.lastError ?? '', /ECONNREFUSED/);
  assert.ok(p.journalBytes > 400 * 300, `journal holds ${p.journalBytes} bytes`);
  // Back-off is exponential and capped: far fewer attempts than one per 5 ms.
  const calls = down.calls;
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(down.calls - calls <= 8, `${down.calls - calls} attempts in 200 ms`);
  const store = await openStore('sqlite::memory:');
  p.setStore(store);
  assert.ok(await p.waitDrained(5000));
  assert.equal(await countStored(store), 400);
  assert.equal(await store.balance('acct-1'), -recs.reduce((s, r) => s + r.fee, 0n));
  await p.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a batch committed whose ack was lost is retried without duplicates or double debits', async () => {
  const dir = tempDir('jlost');
  const store = await openStore('sqlite::memory:');
  const sink = new LostAckSink(store, 3);
  const p = await openCdrPipeline({ dataDir: dir, store: sink, backoffMinMs: 1, backoffMaxMs: 5, drainBatch: 50 });
  const recs = Array.from({ length: 300 }, (_, i) => cdr(i));
  await Promise.all(recs.map((r) => p.write(r, debit(r))));
  assert.ok(await p.waitDrained(5000));
  assert.equal(sink.lost, 3);
  assert.equal(await countStored(store), 300);
  assert.equal((await store.ledger('acct-1')).length, 300);
  assert.equal(await store.balance('acct-1'), -recs.reduce((s, r) => s + r.fee, 0n));
  await p.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a call up at a crash gets a server-restart CDR billed to its last checkpoint; finished calls do not', async () => {
  const dir = tempDir('jckpt');
  const store = await openStore('sqlite::memory:');
  const a = await openCdrPipeline({ dataDir: dir, store, drain: false });
  const start = T + 1000;
  await a.checkpoint('call-up', { flowNo: 'up-1', startTime: start, answerTime: start + 2000, endTime: start + 32_000, account: 'acct-1', billedSeconds: 30, fee: 777n, calleeAccess: '4420' },
    [{ account: 'acct-1', amount: -777n, reason: 'call' }]);
  // A later checkpoint of the same call supersedes the first.
  await a.checkpoint('call-up', { flowNo: 'up-1', startTime: start, answerTime: start + 2000, endTime: start + 62_000, account: 'acct-1', billedSeconds: 60, fee: 1554n, calleeAccess: '4420' },
    [{ account: 'acct-1', amount: -1554n, reason: 'call' }]);
  await a.checkpoint('call-done', { flowNo: 'done-1', startTime: start, answerTime: start + 1000 });
  const done = cdr(1, { flowNo: 'done-1', fee: 50n });
  await a.write(done, { ...debit(done), callKey: 'call-done' });
  await a.checkpoint('call-cleared', { flowNo: 'gone-1', startTime: start });
  await a.clearCheckpoint('call-cleared');
  assert.equal(a.activeCheckpoints, 1);
  // Crash. The next start turns 'call-up' into a CDR, and only that one.
  const b = await openCdrPipeline({ dataDir: dir, store });
  assert.equal(b.restartCdrs, 1);
  assert.ok(await b.waitDrained(5000));
  const rows = (await store.queryCdrs({ from: T, to: T + 86_400_000 })).rows;
  assert.deepEqual(rows.map((r) => r.flowNo).sort(), ['done-1', 'up-1']);
  const up = rows.find((r) => r.flowNo === 'up-1')!;
  assert.equal(up.endReason, 'server restart');
  assert.equal(up.serverRestart, true);
  assert.equal(up.endDirection, 2);
  assert.equal(up.endTime, start + 62_000);
  assert.equal(up.holdTimeMs, 60_000);
  assert.equal(up.fee, 1554n);
  assert.equal(await store.balance('acct-1'), -(1554n + 50n));
  await b.close();
  // A third start does not make it again.
  const c = await openCdrPipeline({ dataDir: dir, store });
  assert.equal(c.restartCdrs, 0);
  await c.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('drained segments are deleted, and a live checkpoint in one is carried forward first', async () => {
  const dir = tempDir('jseg');
  const store = await openStore('sqlite::memory:');
  const a = await openCdrPipeline({ dataDir: dir, store, segmentBytes: 8 * 1024, drainBatch: 20 });
  await a.checkpoint('long-call', { flowNo: 'long-1', startTime: T + 100_000, answerTime: T + 100_010, endTime: T + 105_010, fee: 9n, account: 'acct-1' });
  for (let i = 0; i < 10; i++) {
    const batch = Array.from({ length: 30 }, (_, k) => cdr(i * 30 + k));
    await Promise.all(batch.map((r) => a.write(r)));
  }
  assert.ok(await a.waitDrained(5000));
  await until(() => readdirSync(join(dir, 'journal')).filter((f) => f.startsWith('seg-')).length <= 2, 5000, 'segments retired');
  assert.equal(await countStored(store), 300);
  assert.ok(!readdirSync(join(dir, 'journal')).includes('seg-000000000001.log'), 'the first segment was retired');
  // Stop now with the call still up: its original segment is gone, its copy must survive.
  await a.close();
  const b = await openCdrPipeline({ dataDir: dir, store });
  assert.equal(b.restartCdrs, 1);
  assert.ok(await b.waitDrained(5000));
  const up = (await store.queryCdrs({ from: T + 100_000, to: T + 100_000 })).rows[0]!;
  assert.equal(up.flowNo, 'long-1');
  assert.equal(up.holdTimeMs, 5000);
  await b.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('journal entries round trip exactly, money included', async () => {
  const { encodeEntry, decodeEntry } = await import('../../src/cdr/codec.js');
  const big = cdr(7, { fee: 2n ** 63n - 1n, vendorCost: -5n, media: { lost: 3 } });
  const e = { t: 'cdr' as const, at: 5, cdr: big, ledger: [{ account: 'a', amount: -(2n ** 62n), reason: 'call' }], key: 'k' };
  assert.deepEqual(decodeEntry(encodeEntry(e)), e);
  const c = { t: 'ckpt' as const, at: 6, key: 'k', state: { rec: { flowNo: 'x', startTime: 1, fee: 10n }, ledger: [{ account: 'a', amount: -10n, reason: 'call' }] } };
  assert.deepEqual(decodeEntry(encodeEntry(c)), c);
});

test('peekEntry and entryKey read the kind, time and call key of any encoded entry without decoding it, and fall back on other shapes', async () => {
  const { encodeEntry, entryKey, peekEntry } = await import('../../src/cdr/codec.js');
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 53 - 1 }), fc.constantFrom('cdr', 'ckpt', 'clr'), fc.string(), (at, t, key) => {
    const e = t === 'cdr' ? { t, at, cdr: cdr(at % 1000, { endReasonText: key }), key }
      : t === 'ckpt' ? { t, at, key, state: { rec: { flowNo: 'x', startTime: 1 } } } : { t, at, key };
    const h = peekEntry(encodeEntry(e as Parameters<typeof encodeEntry>[0]));
    return h.t === t && h.at === at;
  }), { numRuns: 500 });
  // The call key, read from the end of the entry.
  fc.assert(fc.property(fc.constantFrom('cdr', 'clr'), fc.option(fc.string(), { nil: undefined }), fc.string(), (t, key, text) => {
    const e = t === 'cdr' ? { t, at: 1, cdr: cdr(3, { endReasonText: text, callerCallId: `,"key":"${text}` }), ...(key === undefined ? {} : { key }) } : { t, at: 1, key: key ?? '' };
    return entryKey(encodeEntry(e as Parameters<typeof encodeEntry>[0])) === (t === 'clr' ? key ?? '' : key);
  }), { numRuns: 500 });
  // Keys in another order (not what encodeEntry writes) still read right, through a full decode.
  assert.deepEqual(peekEntry(Buffer.from('{"at":7,"t":"clr","key":"k"}')), { t: 'clr', at: 7 });
  assert.deepEqual(peekEntry(Buffer.from('{"t":"cdr","at":12,"cdr":{"fee":"1","vendorCost":"2"}}')), { t: 'cdr', at: 12 });
});

test('records whose unique keys would not fit are refused before journaling; long text is cut, not fatal', async () => {
  const dir = tempDir('jbad');
  const store = await openStore('sqlite::memory:');
  const p = await openCdrPipeline({ dataDir: dir, store });
  await assert.rejects(p.write(cdr(1, { flowNo: 'x'.repeat(65) })), (e: any) => e.code === 'SSW_ERR_CDR_BAD_RECORD');
  await assert.rejects(p.write(cdr(2), { ledger: [{ account: 'a'.repeat(65), amount: -1n, reason: 'call' }] }), (e: any) => e.code === 'SSW_ERR_CDR_BAD_RECORD');
  assert.equal(p.depth, 0);
  await p.write(cdr(3, { endReasonText: 'y'.repeat(1000), callerAccess: '1'.repeat(200) }));
  assert.ok(await p.waitDrained(5000));
  const row = (await store.queryCdrs({ from: T + 3, to: T + 3 })).rows[0]!;
  assert.equal(row.endReasonText.length, 255);
  assert.equal(row.callerAccess.length, 64);
  await p.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('lazySink lets the pipeline start while the database cannot be opened, and connects later', async () => {
  const dir = tempDir('jlazy');
  let up = false;
  let opens = 0;
  const real = await openStore('sqlite::memory:');
  const sink = lazySink(async () => {
    opens++;
    if (!up) throw new Error('connect ECONNREFUSED 127.0.0.1:3306');
    return real;
  });
  const p = await openCdrPipeline({ dataDir: dir, store: sink, backoffMinMs: 5, backoffMaxMs: 20 });
  await Promise.all([1, 2, 3].map((i) => p.write(cdr(i))));
  await until(() => opens >= 3, 3000, 'open retries');
  assert.equal(sink.current, null);
  assert.equal(p.depth, 3);
  up = true;
  assert.ok(await p.waitDrained(3000));
  assert.equal(await countStored(real), 3);
  await p.close();
  await real.close();
  rmSync(dir, { recursive: true, force: true });
});

test('property: any cut or corruption of a segment leaves exactly a prefix of the frames', async () => {
  const dir = tempDir('jprop');
  const j = Journal.open(dir);
  const payloads = Array.from({ length: 40 }, (_, i) => Buffer.from(`{"n":${i},"pad":"${'z'.repeat(i * 7)}"}`));
  for (const p of payloads) await j.append(p);
  await j.close();
  const { readFileSync } = await import('node:fs');
  const seg = readdirSync(dir).find((f) => f.startsWith('seg-'))!;
  const whole = readFileSync(join(dir, seg));
  fc.assert(fc.property(fc.nat({ max: whole.length }), fc.option(fc.tuple(fc.nat({ max: whole.length - 1 }), fc.integer({ min: 1, max: 255 }))), (cut, flip) => {
    const b = Buffer.from(whole.subarray(0, cut));
    if (flip && flip[0] < b.length) b[flip[0]]! ^= flip[1];
    const got = scanFrames(b).payloads.map((p) => p.payload.toString());
    // Whatever survives is the first k payloads, unaltered, and everything before the damage survives.
    const want = payloads.map(String);
    if (!got.every((g, i) => g === want[i])) return false;
    const intactBytes = flip && flip[0] < b.length ? flip[0] : b.length;
    let fullyBefore = 0;
    let off = 0;
    for (const p of payloads) { off += 8 + p.length; if (off <= intactBytes) fullyBefore++; }
    return got.length >= fullyBefore;
  }), { numRuns: 2000 });
  rmSync(dir, { recursive: true, force: true });
});
