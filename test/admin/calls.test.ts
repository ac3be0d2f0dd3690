// Calls through the switch with npm `sip` peers, watched and driven through the admin API and /metrics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSwitch, type RunningSwitch } from '../helpers/switch.js';
import { createUa, invite, ackFor, inDialog, uniq, SDP_B, type Ua, type SipMsg } from '../helpers/sip-ua.js';
import { startTestAdmin, type TestAdmin } from './admin-helpers.js';
import { parsePromText, type PromScrape } from '../metrics/prom-text.js';

const SW = '127.0.0.43';
const SWP = 5060;
let sw: RunningSwitch;
let admin: TestAdmin;
let caller: Ua;
let carrier: Ua;
type Behaviour = (rq: SipMsg, ua: Ua) => void;
let behave: Behaviour;

const answer: Behaviour = (rq, ua) => {
  if (rq.method === 'INVITE') {
    const tag = uniq('tt');
    ua.respond(rq, 180, 'Ringing', { toTag: tag });
    setTimeout(() => ua.respond(rq, 200, 'OK', { toTag: tag, contact: `sip:carrier@${ua.address}:${ua.port}`, content: SDP_B }), 20);
  } else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
};

before(async () => {
  sw = await startSwitch({ ip: SW, port: SWP, customers: [{ name: 'cust', ips: ['127.0.0.44'] }], carriers: [{ name: 'carrier-a', address: '127.0.0.45', port: 5080 }] });
  admin = await startTestAdmin(sw.sw);
  caller = createUa('127.0.0.44', 5070, (rq, ua) => { if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK'); });
  carrier = createUa('127.0.0.45', 5080, (rq, ua) => behave(rq, ua));
});

after(async () => {
  caller.stop();
  carrier.stop();
  await admin.cleanup();
  await sw.stop();
});

/** Places a call; resolves with the INVITE, the final response, and the carrier's INVITE. */
async function place(number: string): Promise<{ inv: SipMsg; final: Promise<SipMsg>; bInv: SipMsg }> {
  const inv = invite(caller, SW, SWP, number);
  const final = new Promise<SipMsg>((resolve) => caller.send(inv, (rs) => { if (rs.status >= 200) resolve(rs); }));
  const bInv = await carrier.waitRequest((r) => r.method === 'INVITE' && r.headers.to.uri.includes(number));
  return { inv, final, bInv };
}

async function connected(number: string): Promise<{ inv: SipMsg; ok: SipMsg; bInv: SipMsg }> {
  const c = await place(number);
  const ok = await c.final;
  assert.equal(ok.status, 200);
  caller.send(ackFor(c.inv, ok));
  return { inv: c.inv, ok, bInv: c.bInv };
}

const scrape = async (): Promise<PromScrape> => {
  const r = await admin.api('/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePromText(r.text);
};

test('a parameter change reaches the next call and not the current one; hang-up through the API ends both legs', async () => {
  behave = answer;
  const m0 = await scrape();
  const first = await connected('4470001');
  const calls = await admin.api('/api/v1/calls');
  assert.equal(calls.body.total, 1);
  const view = calls.body.calls[0];
  assert.equal(view.state, 'connected');
  assert.equal(view.gateway, 'carrier-a');
  assert.deepEqual(view.ingress, { gateway: 'cust', ip: '127.0.0.44', port: 5070, transport: 'udp' });
  assert.equal(view.callerCallId, first.inv.headers['call-id']);
  assert.equal(view.calleeCallId, first.bInv.headers['call-id']);
  assert.equal(view.callee.received, '4470001');
  assert.ok(view.answerTime && view.pddMs >= 0);

  const put = await admin.api('/api/v1/parameters/SS_MAX_CALL_DURATION', { method: 'PUT', body: { value: 1 } });
  assert.equal(put.status, 200);
  const t0 = performance.now();
  const second = await connected('4470002');
  const rec2 = await sw.nextEnded(4000);
  assert.equal(rec2.callerCallId, second.inv.headers['call-id']);
  assert.equal(rec2.endReason, 'max-duration', 'the next call takes the new cap');
  assert.ok(performance.now() - t0 >= 900);
  await caller.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === second.inv.headers['call-id']);
  await carrier.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === second.bInv.headers['call-id']);

  // The first call started before the change: past the 1 s cap and still up.
  const still = await admin.api('/api/v1/calls?state=connected');
  assert.deepEqual(still.body.calls.map((c: any) => c.flowNo), [view.flowNo]);
  // The cap cuts CUT_MARGIN_MS early (so a call never spills into a next billing period); the first
  // call was answered before the second and is still up, so it has talked longer than the capped one.
  assert.ok(still.body.calls[0].talkMs > rec2.endMono - rec2.answerMono, `first call talked ${still.body.calls[0].talkMs} ms`);

  const del = await admin.api(`/api/v1/calls/${encodeURIComponent(view.flowNo)}`, { method: 'DELETE' });
  assert.equal(del.status, 200);
  assert.deepEqual(del.body, { flowNo: view.flowNo, released: true, wasState: 'connected' });
  await caller.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === first.inv.headers['call-id']);
  await carrier.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === first.bInv.headers['call-id']);
  const rec1 = await sw.nextEnded();
  assert.equal(rec1.flowNo, view.flowNo, 'the ended record (CDR input) is written for the hung-up call');
  assert.equal(rec1.endReasonText, 'released by operator (admin API)');
  assert.equal(rec1.params.get('SS_MAX_CALL_DURATION'), null);
  assert.equal((await admin.api('/api/v1/calls')).body.total, 0);
  await admin.api('/api/v1/parameters/SS_MAX_CALL_DURATION', { method: 'DELETE' });

  const m1 = await scrape();
  const d = (name: string, labels?: Record<string, string>) => m1.sum(name, labels) - m0.sum(name, labels);
  assert.equal(d('ssw_call_started_total'), 2);
  assert.equal(d('ssw_gateway_attempts_total', { routing_gateway: 'carrier-a' }), 2);
  assert.equal(d('ssw_gateway_answers_total', { routing_gateway: 'carrier-a' }), 2);
  assert.equal(d('ssw_gateway_talk_seconds_count', { routing_gateway: 'carrier-a' }), 2);
  const talked = (rec1.endMono - rec1.answerMono + rec2.endMono - rec2.answerMono) / 1000;
  assert.ok(Math.abs(d('ssw_gateway_talk_seconds_sum', { routing_gateway: 'carrier-a' }) - talked) < 0.001, 'ACD numerator: the two talk times');
  assert.ok(talked > 1.5);
  assert.equal(d('ssw_gateway_pdd_seconds_count', { routing_gateway: 'carrier-a' }), 2);
  assert.equal(d('ssw_call_ended_total', { mapping_gateway: 'cust', end_reason: 'max-duration', answered: 'true' }), 1);
  assert.equal(d('ssw_call_ended_total', { mapping_gateway: 'cust', end_reason: 'operator-release', answered: 'true' }), 1);
  assert.equal(d('ssw_sip_requests_total', { direction: 'in', method: 'INVITE' }), 2);
  assert.equal(d('ssw_sip_requests_total', { direction: 'out', method: 'INVITE' }), 2);
  assert.ok(d('ssw_sip_requests_total', { direction: 'out', method: 'BYE' }) >= 4, 'BYE on both legs of both calls');
  assert.ok(d('ssw_sip_responses_total', { direction: 'in', status_class: '2xx' }) >= 2);
  assert.equal(m1.get('ssw_call_active'), 0);
  assert.equal(m1.types.get('ssw_gateway_talk_seconds'), 'histogram');
});

test('a ringing call shows as ringing; hang-up through the API cancels the carrier and fails the caller; failures counted by code', async () => {
  behave = (rq, ua) => {
    if (rq.method === 'INVITE') ua.respond(rq, 180, 'Ringing', { toTag: 'ring' });
    else if (rq.method === 'CANCEL') ua.respond(rq, 200, 'OK');
  };
  const m0 = await scrape();
  const c = await place('4470003');
  let view: any;
  for (let i = 0; i < 50 && view?.state !== 'ringing'; i++) {
    view = (await admin.api('/api/v1/calls')).body.calls[0];
    if (view?.state !== 'ringing') await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(view.state, 'ringing');
  const del = await admin.api(`/api/v1/calls/${encodeURIComponent(view.flowNo)}`, { method: 'DELETE' });
  assert.equal(del.body.wasState, 'ringing');
  const final = await c.final;
  assert.ok(final.status >= 400, `the caller gets a failure, got ${final.status}`);
  await carrier.waitRequest((r) => r.method === 'CANCEL' && r.headers['call-id'] === c.bInv.headers['call-id']);
  const rec = await sw.nextEnded();
  assert.equal(rec.flowNo, view.flowNo);
  const m1 = await scrape();
  assert.equal(m1.sum('ssw_gateway_failures_total', { routing_gateway: 'carrier-a' }) - m0.sum('ssw_gateway_failures_total', { routing_gateway: 'carrier-a' }), 1);
  assert.equal(m1.sum('ssw_call_ended_total', { answered: 'false' }) - m0.sum('ssw_call_ended_total', { answered: 'false' }), 1);
});

test('an INVITE from an unknown source is refused and counted', async () => {
  const m0 = await scrape();
  const stranger = createUa('127.0.0.46', 5070);
  try {
    const rs = await new Promise<SipMsg>((resolve) => stranger.send(invite(stranger, SW, SWP, '4470009'), (r) => { if (r.status >= 200) resolve(r); }));
    assert.equal(rs.status, 403);
  } finally {
    stranger.stop();
  }
  const m1 = await scrape();
  assert.equal(m1.sum('ssw_sip_refused_sources_total') - m0.sum('ssw_sip_refused_sources_total'), 1);
});

test('call analysis: a finished call\'s flow (numbers, the carrier tried with its Call-ID, 180 and 200, answer and end) by flow number; unknown is 404', async () => {
  behave = answer;
  const c = await connected('4470010');
  const view = (await admin.api('/api/v1/calls')).body.calls.find((x: any) => x.callerCallId === c.inv.headers['call-id']);
  const byeStatus = await new Promise<number>((resolve) => caller.send(inDialog('BYE', c.inv, c.ok, 2), (rs) => resolve(rs.status)));
  assert.equal(byeStatus, 200);
  const rec = await sw.nextEnded();
  assert.equal(rec.flowNo, view.flowNo);
  const r = await admin.api(`/api/v1/cdrs/${encodeURIComponent(view.flowNo)}/analysis`);
  assert.equal(r.status, 200, r.text);
  const f = r.body;
  assert.equal(f.flowNo, view.flowNo);
  assert.equal(f.ingress, 'cust');
  assert.equal(f.callerCallId, c.inv.headers['call-id']);
  assert.equal(f.callee.received, '4470010');
  assert.equal(f.attempts.length, 1);
  assert.deepEqual([f.attempts[0].gateway, f.attempts[0].callId, f.attempts[0].provisional, f.attempts[0].status], ['carrier-a', c.bInv.headers['call-id'], 180, 200]);
  assert.ok(f.attempts[0].provisionalMs !== null && f.attempts[0].provisionalMs <= f.answerMs && f.answerMs <= f.endMs);
  assert.equal(f.endDirection, 'caller');
  assert.equal(f.endReason, rec.endReason);
  assert.equal(f.callerSipCode, 200);
  const missing = await admin.api('/api/v1/cdrs/no-such-flow/analysis');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'SSW_ERR_ADMIN_CALL_NOT_FOUND');
});
