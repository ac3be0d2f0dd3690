// A live reload of a few thousand routing gateways while a customer keeps placing calls: the
// reload completes, every call placed before, during and after it is answered and ends with its
// CDR (on the wire and in the store), calls answered before the swap keep the old carrier, and
// every call sent after reloadNetwork() resolved takes the new one (the swap is atomic).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { writeNetworkConfig } from '../helpers/switch.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { NetworkPolicy } from '../../src/call/index.js';
import type { CdrRecord } from '../../src/cdr/index.js';
import { answeringUa, createUa, invite, ackFor, inDialog, type Ua, type SipMsg } from '../helpers/sip-ua.js';

const SW = '127.0.0.157';
const CALLER = '127.0.0.158';
const CARRIER_A = '127.0.0.159';
const CARRIER_B = '127.0.0.160';
const UNUSED = '127.0.0.161'; // the filler gateways' address: no call goes there
const FILLER = 3000;
const CALL_EVERY_MS = 15;

// The carrier that takes 44..., and FILLER more gateways (prefixes shifted by `shift`, a dial plan each).
const network = (carrier: { name: string; address: string }, shift: number) => ({
  accounts: [{ id: 'acc', prepaid: false }],
  mappingGateways: [{ name: 'cust', remoteIps: [CALLER], account: 'acc' }],
  routingGateways: [
    { name: carrier.name, address: carrier.address, port: 5080, prefixes: ['44'] },
    ...Array.from({ length: FILLER }, (_, i) => ({
      name: `filler${i}`, address: UNUSED, port: 5080, prefixes: [String(500000 + shift + i), String(700000 + shift + i)], calleeRules: [{ from: '00', to: '' }],
    })),
  ],
});

let dir: string;
let sw: Softswitch;
let caller: Ua;
let carrierA: Ua;
let carrierB: Ua;
const cdrs: CdrRecord[] = [];

before(async () => {
  dir = writeNetworkConfig({ ip: SW, network: network({ name: 'carrier-a', address: CARRIER_A }, 0) });
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  (sw.policy as NetworkPolicy).onCdr = (cdr) => cdrs.push(cdr);
  caller = createUa(CALLER, 5070);
  carrierA = answeringUa(CARRIER_A);
  carrierB = answeringUa(CARRIER_B);
});

after(async () => {
  caller.stop();
  carrierA.stop();
  carrierB.stop();
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

interface Placed {
  readonly number: string;
  readonly sentAt: number;
  answeredAt: number;
  status: number;
  byeStatus: number;
}

// INVITE, ACK on the final answer, a short talk, BYE; resolves when the BYE is answered.
function place(number: string): Promise<Placed> {
  const p: Placed = { number, sentAt: performance.now(), answeredAt: 0, status: 0, byeStatus: 0 };
  const inv = invite(caller, SW, 5060, number);
  return new Promise((resolve) => caller.send(inv, (rs: SipMsg) => {
    if (rs.status < 200) return;
    p.status = rs.status;
    p.answeredAt = performance.now();
    caller.send(ackFor(inv, rs));
    if (rs.status !== 200) return resolve(p);
    setTimeout(() => caller.send(inDialog('BYE', inv, rs, 2), (b: SipMsg) => {
      p.byeStatus = b.status;
      resolve(p);
    }), 30);
  }));
}

test(`a reload to ${FILLER + 1} routing gateways while calls are placed: it completes and every call succeeds`, async (t) => {
  const calls: Promise<Placed>[] = [];
  let seq = 0;
  let placing = true;
  const pump = (async () => {
    while (placing) {
      calls.push(place(`44${100000 + seq++}`));
      await new Promise((r) => setTimeout(r, CALL_EVERY_MS));
    }
  })();

  await new Promise((r) => setTimeout(r, 200)); // a few calls on the old network first
  writeFileSync(join(dir, 'network.yaml'), stringify(network({ name: 'carrier-b', address: CARRIER_B }, 1)));
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const reloadStart = performance.now();
  const swap = await sw.reloadNetwork();
  const reloadEnd = performance.now();
  delay.disable();
  await new Promise((r) => setTimeout(r, 200)); // and a few on the new one
  placing = false;
  await pump;
  const placed = await Promise.all(calls);
  t.diagnostic(`reload ${(reloadEnd - reloadStart).toFixed(0)} ms, loop delay max ${(delay.max / 1e6).toFixed(1)} ms p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, ${placed.length} calls`);

  assert.deepEqual(swap, { generation: 1, mappingGateways: 1, routingGateways: FILLER + 1, accounts: 1 });
  assert.equal(sw.config.network.routingGateways[0]!.name, 'carrier-b');
  const during = placed.filter((p) => p.sentAt >= reloadStart && p.sentAt < reloadEnd);
  assert.ok(during.length >= 3, `calls were placed while the reload ran (${during.length})`);
  for (const p of placed) {
    assert.equal(p.status, 200, `call ${p.number} was answered`);
    assert.equal(p.byeStatus, 200, `call ${p.number} hung up cleanly`);
  }

  // On the wire: each call reached exactly one carrier; the old one before the swap, the new one after.
  const invitesTo = (ua: Ua) => new Set(ua.received.filter((r) => r.method === 'INVITE').map((r) => /^sip:(\d+)@/.exec(r.uri)![1]));
  const onA = invitesTo(carrierA);
  const onB = invitesTo(carrierB);
  for (const p of placed) assert.ok(onA.has(p.number) !== onB.has(p.number), `call ${p.number} went to exactly one carrier`);
  for (const p of placed.filter((x) => x.answeredAt < reloadStart)) assert.ok(onA.has(p.number), `call ${p.number}, answered before the reload, went to carrier-a`);
  for (const p of placed.filter((x) => x.sentAt > reloadEnd)) assert.ok(onB.has(p.number), `call ${p.number}, sent after the swap, went to carrier-b`);
  assert.ok(onA.size > 0 && onB.size > 0, `both generations carried calls (a ${onA.size}, b ${onB.size})`);

  // One CDR per call, normal clearing, on the carrier the wire says; and the same rows in the store.
  const end = Date.now() + 5000;
  while (cdrs.length < placed.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.equal(cdrs.length, placed.length, 'one CDR per call');
  for (const c of cdrs) {
    assert.equal(c.endReason, 'normal-clearing', `${c.calleeAccess} ended normally`);
    assert.equal(c.egressGateway, onA.has(c.calleeAccess) ? 'carrier-a' : 'carrier-b');
  }
  await sw.engines!.cdr.waitDrained(5000);
  const day = 86_400_000;
  const page = await sw.engines!.store!.queryCdrs({ from: Date.now() - day, to: Date.now() + day, pageSize: 1000 });
  assert.equal(page.total, placed.length);
  assert.deepEqual(page.rows.map((r) => [r.calleeAccess, r.egressGateway] as [string, string]).sort(), cdrs.map((c) => [c.calleeAccess, c.egressGateway] as [string, string]).sort());
});
