import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PARAM_DEFS, ParamSet, findParam, formatParam, parseParam } from '../../src/config/index.js';
import { isSswError } from '../../src/util/errors.js';

// Every SS_* / SERVER_* name in shared/VOS3000-REFERENCE.md (SS_H323_* is out of scope).
const REFERENCE_NAMES = [
  'SS_GATEWAY_ASR_CALCULATE', 'SS_GATEWAY_ASR_RESERVE_TIME', 'SS_GATEWAY_ASR_RESERVE_SEPARATE',
  'SS_GATEWAYASRROUTESORTCONFIG', 'SS_GATEWAY_ACD_CALCULATE', 'SS_GATEWAY_ACD_RESERVE_TIME',
  'SS_GATEWAY_ACD_RESERVE_SEPARATE', 'SS_GATEWAYFEERATEROUTESORTCONFIG', 'SS_GATEWAY_FEE_RATE_ROUTE_BEFORE_ASR',
  'SS_GATEWAY_QUALITY_RESERVE_TIME', 'SS_GATEWAY_QUALITY_RESERVE_SEPARATE', 'SS_GATEWAY_SWITCH_LIMIT',
  'SS_GATEWAY_SWITCH_STOP_AFTER_RTP_START', 'SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY', 'SS_GATEWAY_SWITCH_UNTIL_CONNECT',
  'SS_SIP_STOP_SWITCH_AFTER_SDP', 'SS_SIP_TIMEOUT_INVITE', 'SS_SIP_TIMEOUT_TRYING', 'SS_SIP_TIMEOUT_RINGING',
  'SS_SIP_TIMEOUT_SESSION_PROGRESS', 'SS_SIP_TIMEOUT_SESSION_PROGRESS_SDP', 'SS_SIP_RESEND_INTERVAL',
  'SS_SIP_SESSION_TTL', 'SS_SIP_SESSION_UPDATE_SEGMENT', 'SS_SIP_SESSION_TIMEOUT_EARLY_HANGUP',
  'SS_SIP_NO_TIMER_REINVITE_INTERVAL', 'SS_SIP_NAT_KEEP_ALIVE_MESSAGE', 'SS_SIP_NAT_KEEP_ALIVE_PERIOD',
  'SS_SIP_NAT_KEEP_ALIVE_SEND_INTERVAL', 'SS_SIP_NAT_KEEP_ALIVE_SEND_ONE_TIME', 'SS_MAX_CALL_DURATION',
  'SS_MEDIA_PROXY_MODE', 'SS_MEDIA_PROXY_PORT_RANGE', 'SS_MEDIA_CHECK_TIMEOUT', 'SS_REDIRECT_OFFLINE_PHONE_TO_GATEWAY',
  'SS_ACCOUNT_INDICATION_METHOD', 'SERVER_BILLING_FEE_PRECISION', 'SERVER_BILLING_HOLD_TIME_PRECISION',
  'SERVER_PAY_DELAY_CUSTOMER_EXPIRE_DAY', 'SERVER_QUERY_CDR_MAX_DAY_INTERVAL', 'SERVER_QUERY_ONE_PAGE_SIZE',
  'SS_TRACE_FILE_LENGTH', 'SS_TRACE_CALL_FILE_SIZE', 'SS_TRACE_REGISTER_FILE_SIZE', 'SS_TRACE_MASK', 'SS_TRACETOFILE',
];

test('every reference parameter is declared, once, and ours carry the SSW_ prefix', () => {
  const names = PARAM_DEFS.map((d) => d.name);
  for (const n of REFERENCE_NAMES) assert.ok(findParam(n), `${n} missing from the registry`);
  assert.equal(new Set(names).size, names.length, 'duplicate declaration');
  for (const d of PARAM_DEFS) {
    if (REFERENCE_NAMES.includes(d.name)) assert.ok(!d.ours, `${d.name} is VOS3000's, not ours`);
    else assert.ok(d.ours && d.name.startsWith('SSW_'), `${d.name} is not in the reference, so must be SSW_ and ours`);
  }
  assert.deepEqual(names.filter((n) => !REFERENCE_NAMES.includes(n)).sort(), [
    'SSW_CDR_RETENTION_DAYS', 'SSW_TIME_ZONE',
    'SSW_PHONE_AUTH_MAX_FAILURES', 'SSW_PHONE_AUTH_NONCE_SECONDS', 'SSW_REGISTER_MAX_EXPIRES', 'SSW_REGISTER_MIN_EXPIRES',
  ].sort());
});

test('reference defaults and ranges', () => {
  const d = ParamSet.defaults();
  assert.deepEqual(d.list('SS_SIP_RESEND_INTERVAL'), [0.5, 1, 2, 4, 4, 4, 4, 4, 4, 4]);
  assert.equal(d.num('SS_SIP_SESSION_TTL'), 600);
  assert.equal(d.num('SS_SIP_TIMEOUT_INVITE'), 10);
  assert.equal(d.num('SS_SIP_TIMEOUT_TRYING'), 20);
  assert.equal(d.num('SS_SIP_TIMEOUT_RINGING'), 120);
  assert.equal(d.num('SS_SIP_TIMEOUT_SESSION_PROGRESS'), 20);
  assert.equal(d.num('SS_SIP_TIMEOUT_SESSION_PROGRESS_SDP'), 120);
  assert.equal(d.num('SS_GATEWAY_ASR_RESERVE_TIME'), 600);
  assert.equal(d.num('SS_GATEWAY_ASR_RESERVE_SEPARATE'), 10);
  assert.equal(d.numOrNull('SS_MAX_CALL_DURATION'), null);
  assert.equal(d.numOrNull('SS_GATEWAY_SWITCH_LIMIT'), null);
  assert.equal(d.bool('SS_GATEWAY_SWITCH_STOP_AFTER_RTP_START'), true);
  assert.equal(d.bool('SS_GATEWAY_SWITCH_UNTIL_CONNECT'), false);
  assert.equal(d.bool('SS_SIP_STOP_SWITCH_AFTER_SDP'), true);
  assert.equal(d.str('SS_SIP_NAT_KEEP_ALIVE_MESSAGE'), 'HELLO');
  assert.equal(d.str('SS_MEDIA_PROXY_MODE'), 'Auto');
  assert.deepEqual(d.list('SS_MEDIA_PROXY_PORT_RANGE'), [10000, 39999]);
  assert.equal(d.num('SERVER_BILLING_FEE_PRECISION'), 7);
  assert.equal(d.num('SERVER_BILLING_HOLD_TIME_PRECISION'), 1000);
  assert.equal(d.num('SERVER_PAY_DELAY_CUSTOMER_EXPIRE_DAY'), 365);
  assert.equal(d.num('SERVER_QUERY_CDR_MAX_DAY_INTERVAL'), 31);
  assert.equal(d.num('SERVER_QUERY_ONE_PAGE_SIZE'), 10000);
  assert.equal(d.num('SS_TRACE_FILE_LENGTH'), 40960);
  assert.equal(d.num('SS_TRACE_CALL_FILE_SIZE'), 16);
  assert.equal(d.str('SS_TRACE_MASK'), 'ERROR');
  assert.equal(d.bool('SS_TRACETOFILE'), true);
  assert.equal(d.num('SSW_CDR_RETENTION_DAYS'), 90);
  assert.equal(d.str('SSW_TIME_ZONE'), 'UTC');
  const range = (n: string) => [findParam(n)!.min, findParam(n)!.max];
  assert.deepEqual(range('SS_GATEWAY_ASR_RESERVE_TIME'), [300, 86400]);
  assert.deepEqual(range('SS_GATEWAY_ACD_RESERVE_SEPARATE'), [5, 24]);
  assert.deepEqual(range('SS_SIP_SESSION_UPDATE_SEGMENT'), [2, 10]);
  assert.deepEqual(range('SS_SIP_NAT_KEEP_ALIVE_PERIOD'), [10, 86400]);
  assert.deepEqual(range('SS_TRACE_REGISTER_FILE_SIZE'), [16, 2048]);
});

test('every default is valid for its own declaration', () => {
  for (const d of PARAM_DEFS) {
    const r = parseParam(d.name, d.default);
    assert.ok(r.ok, `${d.name}: ${!r.ok && r.message}`);
    assert.deepEqual(r.value, d.default);
    if ((d.type === 'int' || d.type === 'number') && d.default !== null) {
      assert.ok((d.default as number) >= d.min! && (d.default as number) <= d.max!, d.name);
    }
    if (d.type === 'enum') assert.ok(d.values!.includes(d.default as string), d.name);
    if (d.default === null) assert.ok(d.nullable, d.name);
    assert.ok(d.description.length > 10 && !d.description.includes('\n'), `${d.name} needs a one-line description`);
  }
});

test('enum spellings are the reference\'s', () => {
  assert.deepEqual(findParam('SS_MEDIA_PROXY_MODE')!.values, ['Auto', 'On', 'Off', 'Must On']);
  assert.deepEqual(findParam('SS_GATEWAYASRROUTESORTCONFIG')!.values, ['Before line usage', 'Before gateway id']);
  assert.deepEqual(findParam('SS_GATEWAYFEERATEROUTESORTCONFIG')!.values, ['Before line usage', 'Before gateway id']);
  assert.deepEqual(findParam('SS_TRACE_MASK')!.values, ['ERROR', 'DEBUG']);
  assert.equal(findParam('SS_GATEWAYASRROUTESORTCONFIG')!.default, 'Before line usage');
  // Operators type them loosely; the stored value is the canonical spelling.
  assert.deepEqual(parseParam('SS_MEDIA_PROXY_MODE', 'MUST_ON'), { ok: true, value: 'Must On' });
  assert.deepEqual(parseParam('SS_GATEWAYASRROUTESORTCONFIG', 'before gateway id'), { ok: true, value: 'Before gateway id' });
  const bad = parseParam('SS_MEDIA_PROXY_MODE', 'Sometimes');
  assert.ok(!bad.ok && bad.message.includes('"Must On"') && bad.message.includes('SS_MEDIA_PROXY_MODE'));
});

test('only the parameters something reads are marked used', () => {
  const used = PARAM_DEFS.filter((d) => d.status === 'used').map((d) => d.name).sort();
  assert.deepEqual(used, [
    'SS_MAX_CALL_DURATION', 'SS_SIP_RESEND_INTERVAL', 'SS_SIP_SESSION_TTL', 'SS_SIP_SESSION_UPDATE_SEGMENT', 'SS_SIP_SESSION_TIMEOUT_EARLY_HANGUP', 'SS_SIP_NO_TIMER_REINVITE_INTERVAL', 'SS_SIP_TIMEOUT_INVITE', 'SS_SIP_TIMEOUT_RINGING',
    'SS_SIP_TIMEOUT_SESSION_PROGRESS', 'SS_SIP_TIMEOUT_SESSION_PROGRESS_SDP', 'SS_SIP_TIMEOUT_TRYING',
    // routing and quality (src/routing, src/call/network-policy.ts)
    'SS_GATEWAYASRROUTESORTCONFIG', 'SS_GATEWAYFEERATEROUTESORTCONFIG', 'SS_GATEWAY_FEE_RATE_ROUTE_BEFORE_ASR', 'SS_GATEWAY_SWITCH_LIMIT',
    'SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY', 'SS_GATEWAY_SWITCH_UNTIL_CONNECT', 'SS_SIP_STOP_SWITCH_AFTER_SDP', 'SS_GATEWAY_ASR_CALCULATE',
    'SS_GATEWAY_ASR_RESERVE_TIME', 'SS_GATEWAY_ASR_RESERVE_SEPARATE', 'SS_GATEWAY_ACD_RESERVE_TIME', 'SS_GATEWAY_ACD_RESERVE_SEPARATE',
    'SS_GATEWAY_QUALITY_RESERVE_TIME', 'SS_GATEWAY_QUALITY_RESERVE_SEPARATE',
    // billing, CDR queries and daily tables (src/billing, src/store)
    'SERVER_BILLING_FEE_PRECISION', 'SERVER_BILLING_HOLD_TIME_PRECISION', 'SERVER_PAY_DELAY_CUSTOMER_EXPIRE_DAY',
    'SERVER_QUERY_CDR_MAX_DAY_INTERVAL', 'SERVER_QUERY_ONE_PAGE_SIZE', 'SSW_TIME_ZONE',
    // phones (src/phones)
    'SS_REDIRECT_OFFLINE_PHONE_TO_GATEWAY', 'SSW_PHONE_AUTH_MAX_FAILURES', 'SSW_PHONE_AUTH_NONCE_SECONDS', 'SSW_REGISTER_MAX_EXPIRES', 'SSW_REGISTER_MIN_EXPIRES',
  ].sort());
});

test('parseParam: numbers, None, On/Off, lists, ranges', () => {
  assert.deepEqual(parseParam('SS_SIP_SESSION_TTL', 900), { ok: true, value: 900 });
  assert.deepEqual(parseParam('SS_SIP_SESSION_TTL', ' 900 '), { ok: true, value: 900 });
  const low = parseParam('SS_SIP_SESSION_TTL', 89);
  assert.ok(!low.ok);
  assert.match(low.message, /^SS_SIP_SESSION_TTL: 89 is out of range; allowed: integer 90-86400 s$/);
  const frac = parseParam('SS_SIP_SESSION_TTL', 600.5);
  assert.ok(!frac.ok && frac.message.includes('whole number'));
  assert.ok(!parseParam('SS_SIP_SESSION_TTL', 'abc').ok);
  assert.ok(!parseParam('SS_SIP_SESSION_TTL', null).ok, 'null is only for nullable parameters');
  assert.ok(!parseParam('SS_SIP_SESSION_TTL', 'None').ok);

  assert.deepEqual(parseParam('SS_MAX_CALL_DURATION', 'None'), { ok: true, value: null });
  assert.deepEqual(parseParam('SS_MAX_CALL_DURATION', 'none'), { ok: true, value: null });
  assert.deepEqual(parseParam('SS_MAX_CALL_DURATION', null), { ok: true, value: null });
  assert.deepEqual(parseParam('SS_MAX_CALL_DURATION', 3600), { ok: true, value: 3600 });
  assert.deepEqual(parseParam('SS_GATEWAY_SWITCH_LIMIT', 'None'), { ok: true, value: null });
  const zero = parseParam('SS_GATEWAY_SWITCH_LIMIT', 0);
  assert.ok(!zero.ok && zero.message.includes('1-100') && zero.message.includes('or None'));

  for (const [raw, v] of [['On', true], ['off', false], ['true', true], ['FALSE', false], [true, true], [false, false]] as const) {
    assert.deepEqual(parseParam('SS_GATEWAY_ASR_CALCULATE', raw), { ok: true, value: v }, String(raw));
  }
  for (const raw of ['yes', 1, 0, '', null]) {
    const r = parseParam('SS_GATEWAY_ASR_CALCULATE', raw);
    assert.ok(!r.ok && r.message.includes('On/Off'), String(raw));
  }

  assert.deepEqual(parseParam('SS_SIP_RESEND_INTERVAL', '0.5, 1,2,4'), { ok: true, value: [0.5, 1, 2, 4] });
  assert.deepEqual(parseParam('SS_SIP_RESEND_INTERVAL', [1, '2']), { ok: true, value: [1, 2] });
  const badList = parseParam('SS_SIP_RESEND_INTERVAL', '0.5,x');
  assert.ok(!badList.ok && badList.message.includes('SS_SIP_RESEND_INTERVAL'));
  const longEntry = parseParam('SS_SIP_RESEND_INTERVAL', '1,2,100');
  assert.ok(!longEntry.ok && longEntry.message.includes('100') && longEntry.message.includes('0.05-60'));
  assert.ok(!parseParam('SS_SIP_RESEND_INTERVAL', '').ok);

  assert.deepEqual(parseParam('SS_MEDIA_PROXY_PORT_RANGE', '20000,29999'), { ok: true, value: [20000, 29999] });
  assert.deepEqual(parseParam('SS_MEDIA_PROXY_PORT_RANGE', '20000-29999'), { ok: true, value: [20000, 29999] });
  assert.ok(!parseParam('SS_MEDIA_PROXY_PORT_RANGE', '30000,20000').ok);
  assert.ok(!parseParam('SS_MEDIA_PROXY_PORT_RANGE', '80,2000').ok);
  assert.ok(!parseParam('SS_MEDIA_PROXY_PORT_RANGE', '10000').ok);

  assert.deepEqual(parseParam('SSW_TIME_ZONE', 'Asia/Shanghai'), { ok: true, value: 'Asia/Shanghai' });
  const tz = parseParam('SSW_TIME_ZONE', 'Mars/Olympus');
  assert.ok(!tz.ok && tz.message.includes('IANA'));
  assert.ok(!parseParam('SS_SIP_NAT_KEEP_ALIVE_MESSAGE', 'x'.repeat(257)).ok);
  assert.deepEqual(parseParam('SS_SIP_NAT_KEEP_ALIVE_MESSAGE', ''), { ok: true, value: '' });
  assert.deepEqual(parseParam('SS_SIP_NAT_KEEP_ALIVE_MESSAGE', null), { ok: true, value: '' }, 'an empty YAML value');
  assert.ok(!parseParam('SS_SIP_NAT_KEEP_ALIVE_MESSAGE', 42).ok);
});

test('unknown names get a did-you-mean', () => {
  const r = parseParam('SS_SIP_SESION_TTL', 600);
  assert.ok(!r.ok);
  assert.match(r.message, /unknown parameter "SS_SIP_SESION_TTL" \(did you mean SS_SIP_SESSION_TTL\?\)/);
  const far = parseParam('COMPLETELY_DIFFERENT', 1);
  assert.ok(!far.ok && !far.message.includes('did you mean'));
});

test('int parameters: every value in range is accepted, every value outside names the range', () => {
  const ints = PARAM_DEFS.filter((d) => d.type === 'int');
  fc.assert(
    fc.property(fc.constantFrom(...ints), fc.integer({ min: -1_000_000, max: 5_000_000 }), (d, n) => {
      const r = parseParam(d.name, n);
      if (n >= d.min! && n <= d.max!) return r.ok && r.value === n;
      return !r.ok && r.message.includes(`${d.min}-${d.max}`) && r.message.startsWith(d.name);
    }),
    { numRuns: 2000 },
  );
});

test('formatParam output parses back to the same value', () => {
  fc.assert(
    fc.property(fc.constantFrom(...PARAM_DEFS), fc.integer({ min: 0, max: 1000 }), (d, seed) => {
      let v = d.default;
      if (d.type === 'int' && d.min !== undefined) v = d.min + (seed % (d.max! - d.min + 1));
      if (d.type === 'enum') v = d.values![seed % d.values!.length]!;
      if (d.type === 'bool') v = seed % 2 === 0;
      const r = parseParam(d.name, formatParam(d, v));
      return r.ok && JSON.stringify(r.value) === JSON.stringify(v);
    }),
    { numRuns: 500 },
  );
});

test('ParamSet is immutable: with() returns a new set and leaves the original as it was', () => {
  const a = ParamSet.defaults();
  const b = a.with('SS_SIP_SESSION_TTL', '1200').with('SS_MAX_CALL_DURATION', 'None').with('SS_GATEWAY_SWITCH_LIMIT', 3);
  assert.notEqual(a, b);
  assert.equal(a.num('SS_SIP_SESSION_TTL'), 600);
  assert.equal(b.num('SS_SIP_SESSION_TTL'), 1200);
  assert.equal(a.numOrNull('SS_GATEWAY_SWITCH_LIMIT'), null);
  assert.equal(b.numOrNull('SS_GATEWAY_SWITCH_LIMIT'), 3);
  assert.equal(ParamSet.defaults().num('SS_SIP_SESSION_TTL'), 600, 'defaults() is not changed by with()');
  assert.ok(Object.isFrozen(a) && Object.isFrozen(b));
  const list = a.list('SS_SIP_RESEND_INTERVAL') as number[];
  assert.throws(() => {
    list[0] = 99;
  }, TypeError);
  assert.equal(a.list('SS_SIP_RESEND_INTERVAL')[0], 0.5);
  const json = a.toJSON();
  json.SS_SIP_SESSION_TTL = 1;
  assert.equal(a.num('SS_SIP_SESSION_TTL'), 600, 'toJSON hands out a copy');
  assert.equal(Object.keys(json).length, PARAM_DEFS.length);
});

test('ParamSet rejects bad values and unknown names with SSW_ERR_CONFIG_PARAM', () => {
  const a = ParamSet.defaults();
  assert.throws(() => a.with('SS_SIP_SESSION_TTL', 5), (e: unknown) => isSswError(e) && e.code === 'SSW_ERR_CONFIG_PARAM' && e.message.includes('90-86400'));
  assert.throws(() => a.with('SS_NOPE', 5), (e: unknown) => isSswError(e) && e.code === 'SSW_ERR_CONFIG_PARAM' && e.message.includes('SS_NOPE'));
  assert.throws(() => a.get('SS_NOPE'), (e: unknown) => isSswError(e) && e.code === 'SSW_ERR_CONFIG_PARAM');
  assert.throws(() => a.num('SS_MAX_CALL_DURATION'), /not a number/, 'None is not a number: use numOrNull');
  assert.throws(() => a.bool('SS_SIP_SESSION_TTL'), /not On\/Off/);
  assert.throws(() => a.str('SS_SIP_SESSION_TTL'), /not text/);
  assert.throws(() => a.list('SS_SIP_SESSION_TTL'), /not a list/);

  const s = ParamSet.from({ SS_SIP_SESSION_TTL: '900', SS_GATEWAY_ASR_CALCULATE: 'On', SS_MAX_CALL_DURATION: 'None' }, 'params.yaml');
  assert.equal(s.num('SS_SIP_SESSION_TTL'), 900);
  assert.equal(s.bool('SS_GATEWAY_ASR_CALCULATE'), true);
  assert.throws(
    () => ParamSet.from({ SS_SIP_SESSION_TTL: 10, SS_TRACE_MASK: 'LOUD', SS_SIP_TIMOUT_INVITE: 3 }, '/etc/ssw/params.yaml'),
    (e: unknown) => {
      assert.ok(isSswError(e));
      assert.equal(e.code, 'SSW_ERR_CONFIG_PARAM');
      assert.match(e.message, /^3 configuration errors:/);
      assert.ok(e.message.includes('/etc/ssw/params.yaml: SS_SIP_SESSION_TTL: 10 is out of range; allowed: integer 90-86400 s'));
      assert.ok(e.message.includes('/etc/ssw/params.yaml: SS_TRACE_MASK: "LOUD" is not allowed; allowed: "ERROR", "DEBUG"'));
      assert.ok(e.message.includes('did you mean SS_SIP_TIMEOUT_INVITE?'));
      return true;
    },
  );
});
