import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shouldTryNext, mapFailure, paramReader, phaseTimeoutsMs, maxCallSeconds, type AttemptOutcome, type RoutingGatewayPolicy } from '../../src/routing/index.js';
import { gw, mgw } from './helpers.js';

const P = paramReader();
type Row = [string, Partial<AttemptOutcome>, Partial<RoutingGatewayPolicy>, Record<string, unknown>, boolean];

// [case, outcome, gateway switches, parameters, expect next]
const TABLE: Row[] = [
  ['503 moves on', { code: 503, phase: 'trying' }, {}, {}, true],
  ['INVITE timeout moves on', { code: null, phase: 'no-response' }, {}, {}, true],
  ['200 stops', { code: 200, phase: 'answered' }, {}, {}, false],
  ['486 stops by default', { code: 486, phase: 'trying' }, {}, {}, false],
  ['486 moves on when the parameter is off', { code: 486, phase: 'trying' }, {}, { SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY: false }, true],
  ['486 moves on when the gateway allows it', { code: 486, phase: 'trying' }, { switchAfterBusy: true }, {}, true],
  ['600 counts as busy', { code: 600, phase: 'trying' }, {}, {}, false],
  ['failure after ringing stops by default', { code: 480, phase: 'ringing' }, {}, {}, false],
  ['after ringing with SWITCH_UNTIL_CONNECT moves on', { code: 480, phase: 'ringing' }, {}, { SS_GATEWAY_SWITCH_UNTIL_CONNECT: true }, true],
  ['after ringing, gateway switch beats the parameter', { code: 480, phase: 'ringing' }, { switchAfterRinging: false }, { SS_GATEWAY_SWITCH_UNTIL_CONNECT: true }, false],
  ['after SDP stops by default', { code: 503, phase: 'sdp' }, {}, {}, false],
  ['after SDP moves on with the parameter off', { code: 503, phase: 'sdp' }, {}, { SS_SIP_STOP_SWITCH_AFTER_SDP: false }, true],
  ['after SDP moves on when the gateway allows it', { code: 503, phase: 'sdp' }, { switchAfterSdp: true }, {}, true],
  ['after RTP stops by default', { code: null, phase: 'rtp' }, { switchAfterSdp: true }, {}, false],
  ['after RTP moves on with gateway switches', { code: null, phase: 'rtp', sawSdp: true }, { switchAfterRtp: true, switchAfterSdp: true }, {}, true],
  ['code not in the switch list stops', { code: 404, phase: 'trying' }, { switchOnCodes: [503, 502] }, {}, false],
  ['code in the switch list moves on', { code: 502, phase: 'trying' }, { switchOnCodes: [503, 502] }, {}, true],
  ['timeout moves on regardless of the code list', { code: null, phase: 'trying' }, { switchOnCodes: [503] }, {}, true],
  ['switch limit reached stops', { code: 503, phase: 'trying', attempt: 3 }, {}, { SS_GATEWAY_SWITCH_LIMIT: 3 }, false],
  ['below the switch limit moves on', { code: 503, phase: 'trying', attempt: 2 }, {}, { SS_GATEWAY_SWITCH_LIMIT: 3 }, true],
];

for (const [name, o, g, params, next] of TABLE) {
  test(`failover: ${name}`, () => {
    const d = shouldTryNext({ code: null, phase: 'trying', attempt: 1, ...o }, gw(1, g), paramReader(params));
    assert.equal(d.next, next, d.why);
  });
}

test('end reasons and error-code replacement', () => {
  assert.deepEqual(mapFailure('no-available-router'), { reason: 'no-available-router', sipCode: 503, remoteCode: null });
  const m = mgw({ errorCodes: { 'no-available-router': 404, 'sip:503': 480 } });
  assert.equal(mapFailure('no-available-router', m).sipCode, 404);
  assert.deepEqual(mapFailure({ code: 503, phase: 'trying', attempt: 2 }, m), { reason: 'remote-failure', sipCode: 480, remoteCode: 503 });
  assert.deepEqual(mapFailure({ code: 502, phase: 'trying', attempt: 2 }, m), { reason: 'remote-failure', sipCode: 502, remoteCode: 502 });
  assert.deepEqual(mapFailure({ code: 486, phase: 'trying', attempt: 1 }), { reason: 'user-busy', sipCode: 486, remoteCode: 486 });
  assert.equal(mapFailure({ code: null, phase: 'no-response', attempt: 1 }).reason, 'connection-timeout');
  assert.deepEqual(mapFailure({ code: null, phase: 'ringing', attempt: 1 }), { reason: 'response-timeout', sipCode: 408, remoteCode: null });
  assert.equal(P.numOrNull('SS_GATEWAY_SWITCH_LIMIT'), null);
});

test('per-gateway timeouts override SS_SIP_TIMEOUT_*; call caps take the smallest non-zero', () => {
  const g = gw(1, { timeouts: { invite: 3, trying: 0, sessionProgress: 0, sessionProgressSdp: 0, ringing: 60 }, maxCallSeconds: 3600 });
  assert.deepEqual(phaseTimeoutsMs(g, paramReader({ SS_SIP_TIMEOUT_TRYING: 15 })), {
    invite: 3000, trying: 15_000, sessionProgress: 20_000, sessionProgressSdp: 120_000, ringing: 60_000,
  });
  assert.equal(maxCallSeconds(mgw(), g, P), 3600);
  assert.equal(maxCallSeconds(mgw({ maxCallSeconds: 600 }), g, paramReader({ SS_MAX_CALL_DURATION: 7200 })), 600);
  assert.equal(maxCallSeconds(mgw(), gw(2), P), 0);
});
