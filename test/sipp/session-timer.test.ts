// Session timers (RFC 4028) with SIPp on both sides. Parameters make it quick: the switch refreshes
// a leg every 9 s (TTL 90 / SEGMENT 10) and hangs up a leg whose peer should refresh after 5 s
// (90 - EARLY_HANGUP 85).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SippUas, answeringUas, runUac, startNetSwitch, SCENARIOS, type NetSwitch } from '../helpers/sipp-net.js';

const SW = '127.0.0.229';
const CUST = '127.0.0.230';
const REFRESHED = '127.0.0.235';
const PLAIN = '127.0.0.236';

let sw: NetSwitch;
let refreshed: SippUas;
let plain: SippUas;

before(async () => {
  assert.equal(spawnSync('sipp', ['-v']).error, undefined, 'sipp is installed');
  refreshed = new SippUas(REFRESHED, 5080, ['-sf', join(SCENARIOS, 'uas_session_timer.xml')]);
  plain = answeringUas(PLAIN, 5080);
  await Promise.all([refreshed.listening(), plain.listening()]);
  sw = await startNetSwitch({
    ip: SW,
    network: {
      accounts: [{ id: 'acc', name: 'postpaid', prepaid: false, balance: '0' }],
      mappingGateways: [{ name: 'cust', remoteIps: [CUST], account: 'acc' }],
      routingGateways: [
        { name: 'refreshed', id: 1, address: REFRESHED, port: 5080, prefixes: ['41'] },
        { name: 'plain', id: 2, address: PLAIN, port: 5080, prefixes: ['42'] },
      ],
    },
    params: { SS_SIP_SESSION_TTL: 90, SS_SIP_SESSION_UPDATE_SEGMENT: 10, SS_SIP_SESSION_TIMEOUT_EARLY_HANGUP: 85 },
  });
});

after(async () => {
  await refreshed?.cleanup();
  await plain?.cleanup();
  await sw?.stop();
});

test('SIPp callers and carriers: the switch refreshes a carrier that leaves it the refreshing, and hangs up a caller that took the refreshing and never refreshed', async () => {
  const [held, silent] = await Promise.all([
    // 12 s calls to the carrier that expects the switch's UPDATE at 9 s, before the BYE.
    runUac({ scenario: ['-sn', 'uac'], to: `${SW}:5060`, ip: CUST, port: 6400, number: '41000001', calls: 3, rate: 10, holdMs: 12_000, timeoutMs: 40_000 }),
    // Callers that offer 90 s, refresher=uac, and wait for the switch's BYE.
    runUac({ scenario: ['-sf', join(SCENARIOS, 'uac_session_timer.xml')], to: `${SW}:5060`, ip: CUST, port: 6401, number: '42000001', calls: 3, rate: 10, timeoutMs: 40_000 }),
  ]);
  assert.equal(held.failed, 0, held.stdout.slice(-1500));
  assert.equal(held.successful, 3);
  assert.equal(silent.failed, 0, silent.stdout.slice(-1500));
  assert.equal(silent.successful, 3);

  // On the wire at the carrier: each call's INVITE offered the TTL, each got one refresh UPDATE.
  const msgs = refreshed.messages().filter((m) => m.dir === 'received');
  const invites = msgs.filter((m) => m.method === 'INVITE');
  assert.equal(invites.length, 3);
  for (const inv of invites) {
    assert.match(inv.text, /^Session-Expires:\s*90\s*$/im);
    assert.match(inv.text, /^Supported:\s*timer\s*$/im);
    assert.match(inv.text, /^Min-SE:\s*90\s*$/im);
  }
  const updates = msgs.filter((m) => m.method === 'UPDATE');
  assert.equal(updates.length, 3);
  assert.deepEqual(new Set(updates.map((u) => u.callId)), new Set(invites.map((i) => i.callId)));

  const held1 = await sw.cdr('41000001');
  assert.equal(held1.endReason, 'normal-clearing');
  assert.ok(held1.holdTimeMs >= 11_500, `hold ${held1.holdTimeMs} ms`);
  const cut = await sw.cdrs('42000001');
  assert.equal(cut.length, 3);
  for (const c of cut) {
    assert.equal(c.endReason, 'session-timeout');
    assert.equal(c.endDirection, 2);
    assert.ok(c.holdTimeMs >= 4800 && c.holdTimeMs < 7000, `cut after ${c.holdTimeMs} ms (expected ~5,000)`);
  }
  // The carrier of the cut calls got the switch's BYE (SIPp's uas waits for it to count a success).
  const byes = plain.messages().filter((m) => m.dir === 'received' && m.method === 'BYE');
  assert.equal(byes.length, 3);
});
