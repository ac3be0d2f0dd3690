/**
 * The system-parameter registry: every tunable declared once, under its VOS3000 name, default and
 * range, so a VOS3000 operator finds each knob where they expect it. Config files, the admin API,
 * validation and docs/parameters.md all read PARAM_DEFS; nothing else declares a parameter.
 */
import { createError } from '../util/errors.js';
import type { ParamValue } from './types.js';
import { suggest } from './suggest.js';

export type { ParamValue } from './types.js';

export type ParamType = 'int' | 'number' | 'bool' | 'enum' | 'string' | 'seconds-list' | 'port-range';
export type ParamArea =
  | 'sip'
  | 'session-timer'
  | 'nat'
  | 'media'
  | 'routing'
  | 'quality'
  | 'billing'
  | 'cdr'
  | 'trace'
  | 'phone';

export interface ParamDef {
  readonly name: string;
  readonly type: ParamType;
  readonly default: ParamValue;
  /** For int/number: the value's range; for seconds-list/port-range: each element's range. */
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  readonly unit?: string;
  readonly description: string;
  readonly area: ParamArea;
  readonly status: 'used' | 'planned';
  /** Accepts `None` (VOS3000's "no limit"), represented as null. */
  readonly nullable?: boolean;
  /** For string: the longest accepted value; for seconds-list: the most entries. */
  readonly maxLength?: number;
  /** Set on parameters the reference does not name (all `SSW_`-prefixed): they are ours. */
  readonly ours?: boolean;
  /** Extra operator note shown in docs/parameters.md (where we differ from VOS3000, and why). */
  readonly note?: string;
  /**
   * Set on parameters a running switch cannot take: why, in a few words. A live reload (params.yaml,
   * the admin API) keeps the value in force for these and reports the new one as pending a restart;
   * every other parameter applies to new calls at once.
   */
  readonly restart?: string;
}

/** 'restart' when a change needs a restart to take effect, 'live' otherwise. */
export function appliesOf(def: ParamDef): 'live' | 'restart' {
  return def.restart ? 'restart' : 'live';
}

/** A bad parameter name or value, from a file or the admin API (400 there). */
export const paramError = createError('SSW_ERR_CONFIG_PARAM', 400);

const SORT_POSITIONS = ['Before line usage', 'Before gateway id'] as const;

// Order within an area is the order operators meet them in the VOS3000 parameter screen.
const DEFS: ParamDef[] = [
  // --- sip: transaction timers and the per-phase timeouts that drive failover
  { name: 'SS_SIP_TIMEOUT_INVITE', type: 'int', default: 10, min: 1, max: 3600, unit: 's', area: 'sip', status: 'used',
    description: 'No response at all to an outgoing INVITE for this long: try the next routing gateway.' },
  { name: 'SS_SIP_TIMEOUT_TRYING', type: 'int', default: 20, min: 1, max: 3600, unit: 's', area: 'sip', status: 'used',
    description: 'After 100 Trying, no further response for this long: try the next routing gateway.' },
  { name: 'SS_SIP_TIMEOUT_RINGING', type: 'int', default: 120, min: 1, max: 3600, unit: 's', area: 'sip', status: 'used',
    description: 'After 180 Ringing, no answer for this long: give up on this gateway.' },
  { name: 'SS_SIP_TIMEOUT_SESSION_PROGRESS', type: 'int', default: 20, min: 1, max: 3600, unit: 's', area: 'sip', status: 'used',
    description: 'After 183 Session Progress without SDP, no further response for this long: give up on this gateway.' },
  { name: 'SS_SIP_TIMEOUT_SESSION_PROGRESS_SDP', type: 'int', default: 120, min: 1, max: 3600, unit: 's', area: 'sip', status: 'used',
    description: 'After 183 with SDP (early media), no answer for this long: give up on this gateway.' },
  { name: 'SS_SIP_RESEND_INTERVAL', type: 'seconds-list', default: [0.5, 1, 2, 4, 4, 4, 4, 4, 4, 4], min: 0.05, max: 60, maxLength: 32,
    unit: 's', area: 'sip', status: 'used',
    description: 'Retransmission schedule over UDP: wait before each resend; after the last one the transaction times out.' },
  { name: 'SS_MAX_CALL_DURATION', type: 'int', default: null, nullable: true, min: 1, max: 2_592_000, unit: 's', area: 'sip', status: 'used',
    description: 'Global cap on the talk time of any call; None = no cap (account balance and gateway limits still apply).' },

  // --- session-timer (RFC 4028)
  { name: 'SS_SIP_SESSION_TTL', type: 'int', default: 600, min: 90, max: 86400, unit: 's', area: 'session-timer', status: 'used',
    description: 'Session-Expires offered to carriers and the largest interval accepted from callers (a smaller one is kept); a leg not refreshed within its interval is ended with reason "Session timeout".',
    note: 'Minimum 90 s is RFC 4028\'s Min-SE floor.' },
  { name: 'SS_SIP_SESSION_UPDATE_SEGMENT', type: 'int', default: 2, min: 2, max: 10, area: 'session-timer', status: 'used',
    description: 'Refresh every TTL / segment (600 / 2 = every 300 s).' },
  { name: 'SS_SIP_SESSION_TIMEOUT_EARLY_HANGUP', type: 'int', default: 0, min: 0, max: 3600, unit: 's', area: 'session-timer', status: 'used',
    description: 'Where the peer refreshes: hang up this long before its session would expire when no refresh came (0 = at expiry).' },
  { name: 'SS_SIP_NO_TIMER_REINVITE_INTERVAL', type: 'int', default: 7200, min: 60, max: 86400, unit: 's', area: 'session-timer', status: 'used',
    description: 'For a leg whose peer does not do session timers: a re-INVITE with the same SDP this often; 408, 481 or no answer ends the call with reason "Session timeout".' },

  // --- nat keep-alive for registered devices
  { name: 'SS_SIP_NAT_KEEP_ALIVE_MESSAGE', type: 'string', default: 'HELLO', maxLength: 256, area: 'nat', status: 'planned',
    description: 'Payload of the UDP keep-alive sent to registered devices; empty disables keep-alive.' },
  { name: 'SS_SIP_NAT_KEEP_ALIVE_PERIOD', type: 'int', default: 30, min: 10, max: 86400, unit: 's', area: 'nat', status: 'planned',
    description: 'How often each registered device gets a keep-alive, to hold its NAT binding open.' },
  { name: 'SS_SIP_NAT_KEEP_ALIVE_SEND_INTERVAL', type: 'int', default: 500, min: 10, max: 60000, unit: 'ms', area: 'nat', status: 'planned',
    description: 'Pause between keep-alive batches, so thousands of devices do not all get theirs in one burst.' },
  { name: 'SS_SIP_NAT_KEEP_ALIVE_SEND_ONE_TIME', type: 'int', default: 3000, min: 1, max: 100000, unit: 'messages', area: 'nat', status: 'planned',
    description: 'Keep-alive messages sent per batch.' },

  // --- media
  { name: 'SS_MEDIA_PROXY_MODE', type: 'enum', default: 'Auto', values: ['Auto', 'On', 'Off', 'Must On'], area: 'media', status: 'planned',
    description: 'Relay RTP through the switch: Auto (when NAT or policy needs it), On (unless a gateway says off), Off, Must On (always).' },
  { name: 'SS_MEDIA_PROXY_PORT_RANGE', type: 'port-range', default: [10000, 39999], min: 1024, max: 65535, area: 'media', status: 'planned',
    restart: 'the media threads split the port range among themselves when they start',
    description: 'UDP ports the media relay allocates RTP/RTCP from: first,last.' },
  { name: 'SS_MEDIA_CHECK_TIMEOUT', type: 'int', default: 60, min: 0, max: 86400, unit: 's', area: 'media', status: 'planned',
    description: 'No RTP on a proxied call for this long: hang up with reason "RTP timeout"; 0 disables the check.',
    note: 'The reference gives no default; 60 s is ours.' },

  // --- routing: sorting and failover
  { name: 'SS_GATEWAYASRROUTESORTCONFIG', type: 'enum', default: 'Before line usage', values: SORT_POSITIONS, area: 'routing', status: 'used',
    description: 'Where ASR sorts in the gateway order: before line usage (step 6) or before gateway id (step 7).' },
  { name: 'SS_GATEWAYFEERATEROUTESORTCONFIG', type: 'enum', default: 'Before line usage', values: SORT_POSITIONS, area: 'routing', status: 'used',
    description: 'Where lowest-rate sorting goes in the gateway order: before line usage or before gateway id.' },
  { name: 'SS_GATEWAY_FEE_RATE_ROUTE_BEFORE_ASR', type: 'bool', default: false, area: 'routing', status: 'used',
    description: 'Sort by lowest vendor rate before ASR (when both apply).' },
  { name: 'SS_GATEWAY_SWITCH_LIMIT', type: 'int', default: null, nullable: true, min: 1, max: 100, unit: 'gateways', area: 'routing', status: 'used',
    description: 'Most routing gateways tried for one call; None = every matching gateway.' },
  { name: 'SS_GATEWAY_SWITCH_STOP_AFTER_RTP_START', type: 'bool', default: true, area: 'routing', status: 'planned',
    description: 'No failover to another gateway once early media (RTP) has flowed to the caller.' },
  { name: 'SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY', type: 'bool', default: true, area: 'routing', status: 'used',
    description: 'No failover when the called party is busy (486): the caller hears busy.' },
  { name: 'SS_GATEWAY_SWITCH_UNTIL_CONNECT', type: 'bool', default: false, area: 'routing', status: 'used',
    description: 'Keep failing over until a gateway answers, not only until one rings.' },
  { name: 'SS_SIP_STOP_SWITCH_AFTER_SDP', type: 'bool', default: true, area: 'routing', status: 'used',
    description: 'No failover once a gateway sent SDP (183 with SDP): the caller already hears its media.' },

  // --- quality: ASR / ACD / quality windows
  { name: 'SS_GATEWAY_ASR_CALCULATE', type: 'bool', default: false, area: 'quality', status: 'used',
    description: 'Compute each routing gateway\'s ASR (answered / attempts) in real time and use it in sorting.' },
  { name: 'SS_GATEWAY_ASR_RESERVE_TIME', type: 'int', default: 600, min: 300, max: 86400, unit: 's', area: 'quality', status: 'used',
    description: 'Length of the ASR window.' },
  { name: 'SS_GATEWAY_ASR_RESERVE_SEPARATE', type: 'int', default: 10, min: 5, max: 24, unit: 'segments', area: 'quality', status: 'used',
    description: 'Segments the ASR window is cut into (600 s / 10 = 60 s each); ASR is their mean.' },
  { name: 'SS_GATEWAY_ACD_CALCULATE', type: 'bool', default: false, area: 'quality', status: 'planned',
    description: 'Compute each routing gateway\'s ACD (answered duration / answered calls) in real time.' },
  { name: 'SS_GATEWAY_ACD_RESERVE_TIME', type: 'int', default: 600, min: 300, max: 86400, unit: 's', area: 'quality', status: 'used',
    description: 'Length of the ACD window.' },
  { name: 'SS_GATEWAY_ACD_RESERVE_SEPARATE', type: 'int', default: 10, min: 5, max: 24, unit: 'segments', area: 'quality', status: 'used',
    description: 'Segments the ACD window is cut into.' },
  { name: 'SS_GATEWAY_QUALITY_RESERVE_TIME', type: 'int', default: 600, min: 300, max: 86400, unit: 's', area: 'quality', status: 'used',
    description: 'Length of the window for the other quality figures (PDD, NER).',
    note: 'The reference gives no range; we use the ASR window\'s.' },
  { name: 'SS_GATEWAY_QUALITY_RESERVE_SEPARATE', type: 'int', default: 10, min: 5, max: 24, unit: 'segments', area: 'quality', status: 'used',
    description: 'Segments the quality window is cut into.',
    note: 'The reference gives no range; we use the ASR window\'s.' },

  // --- billing
  { name: 'SERVER_BILLING_FEE_PRECISION', type: 'int', default: 7, min: 0, max: 7, unit: 'decimal places', area: 'billing', status: 'used',
    description: 'Decimal places kept in amounts (fees, balances); amounts are integers at this precision, never floats.' },
  { name: 'SERVER_BILLING_HOLD_TIME_PRECISION', type: 'int', default: 1000, min: 1, max: 60000, unit: 'ms', area: 'billing', status: 'used',
    description: 'Hold time is rounded up to a multiple of this before rating (1000 = whole seconds).' },
  { name: 'SERVER_PAY_DELAY_CUSTOMER_EXPIRE_DAY', type: 'int', default: 365, min: 0, max: 36500, unit: 'days', area: 'billing', status: 'used',
    description: 'A recharge extends the account\'s expiry date to at least this many days from now (0: no change).' },
  { name: 'SS_ACCOUNT_INDICATION_METHOD', type: 'enum', default: 'Off', values: ['Off', 'Prompt balance', 'Prompt duration'], area: 'billing', status: 'planned',
    description: 'Announce the caller\'s balance or available minutes before connecting.' },

  // --- cdr
  { name: 'SERVER_QUERY_CDR_MAX_DAY_INTERVAL', type: 'int', default: 31, min: 1, max: 366, unit: 'days', area: 'cdr', status: 'used',
    description: 'Longest time range one CDR query may span.' },
  { name: 'SERVER_QUERY_ONE_PAGE_SIZE', type: 'int', default: 10000, min: 1, max: 100000, unit: 'rows', area: 'cdr', status: 'used',
    description: 'Most CDRs returned in one page of a query.' },
  { name: 'SSW_CDR_RETENTION_DAYS', type: 'int', default: 90, min: 1, max: 3650, unit: 'days', area: 'cdr', status: 'planned', ours: true,
    description: 'Daily CDR tables older than this are dropped.',
    note: 'Ours: the reference purges by retention parameters it does not name.' },
  { name: 'SSW_TIME_ZONE', type: 'string', default: 'UTC', maxLength: 64, area: 'cdr', status: 'used', ours: true,
    restart: 'the store and its writer thread name the daily CDR tables in this zone from start',
    description: 'IANA time zone (e.g. UTC, Asia/Shanghai) that decides which daily table cdr_YYYYMMDD a call lands in.',
    note: 'Ours: billing differences between platforms often come from time zones, so it is explicit.' },

  // --- trace
  { name: 'SS_TRACETOFILE', type: 'bool', default: true, area: 'trace', status: 'planned',
    description: 'Write the debug trace to files (two per trace, written alternately).' },
  { name: 'SS_TRACE_MASK', type: 'enum', default: 'ERROR', values: ['ERROR', 'DEBUG'], area: 'trace', status: 'planned',
    description: 'Trace detail: ERROR (errors only) or DEBUG (every SIP message).' },
  { name: 'SS_TRACE_FILE_LENGTH', type: 'int', default: 40960, min: 1024, max: 2_097_152, unit: 'KB', area: 'trace', status: 'planned',
    description: 'Size limit of each of the two general trace files; disk use is twice this.' },
  { name: 'SS_TRACE_CALL_FILE_SIZE', type: 'int', default: 16, min: 16, max: 2048, unit: 'MB', area: 'trace', status: 'planned',
    description: 'Size limit of each of the two call-trace files.' },
  { name: 'SS_TRACE_REGISTER_FILE_SIZE', type: 'int', default: 16, min: 16, max: 2048, unit: 'MB', area: 'trace', status: 'planned',
    description: 'Size limit of each of the two registration-trace files.' },

  // --- phone
  { name: 'SS_REDIRECT_OFFLINE_PHONE_TO_GATEWAY', type: 'bool', default: false, area: 'phone', status: 'used',
    description: 'When a called phone is not registered, route the call to the routing gateways instead of failing it (480).' },
  { name: 'SSW_REGISTER_MIN_EXPIRES', type: 'int', default: 60, min: 1, max: 86400, unit: 's', area: 'phone', status: 'used', ours: true,
    description: 'Shortest registration a phone may ask for; shorter gets 423 Interval Too Brief with this value in Min-Expires.' },
  { name: 'SSW_REGISTER_MAX_EXPIRES', type: 'int', default: 3600, min: 1, max: 604800, unit: 's', area: 'phone', status: 'used', ours: true,
    description: 'Longest registration granted; a longer request is granted this long (the 200 says so in each Contact\'s expires).' },
  { name: 'SSW_PHONE_AUTH_NONCE_SECONDS', type: 'int', default: 300, min: 10, max: 86400, unit: 's', area: 'phone', status: 'used', ours: true,
    description: 'How long a digest nonce is good for; an older one is answered with a new challenge marked stale=true.' },
  { name: 'SSW_PHONE_AUTH_MAX_FAILURES', type: 'int', default: 3, min: 1, max: 100, unit: 'attempts', area: 'phone', status: 'used', ours: true,
    description: 'Wrong digest responses from one user name and source IP before the switch answers 403 instead of a new challenge; the count resets after SSW_PHONE_AUTH_NONCE_SECONDS or a success.' },
];

for (const d of DEFS) Object.freeze(d);
export const PARAM_DEFS: readonly ParamDef[] = Object.freeze(DEFS);

const BY_NAME: ReadonlyMap<string, ParamDef> = new Map(DEFS.map((d) => [d.name, d]));
const NAMES: readonly string[] = DEFS.map((d) => d.name);

/** The declaration of one parameter, or undefined when no such parameter exists. */
export function findParam(name: string): ParamDef | undefined {
  return BY_NAME.get(name);
}

/** A message for an unknown parameter name, with a "did you mean" suggestion when one is close. */
export function unknownParamMessage(name: string): string {
  const s = suggest(String(name).toUpperCase(), NAMES);
  return `unknown parameter ${JSON.stringify(name)}${s ? ` (did you mean ${s}?)` : ''}`;
}

type Parsed = { ok: true; value: ParamValue } | { ok: false; message: string };

/** Parses and validates one raw value (from YAML, JSON or a string typed by an operator). */
export function parseParam(name: string, raw: unknown): Parsed {
  const def = BY_NAME.get(name);
  if (!def) return { ok: false, message: unknownParamMessage(name) };
  const problem = (what: string): Parsed => ({ ok: false, message: `${name}: ${show(raw)} ${what}` });
  if (def.nullable && (raw === null || (typeof raw === 'string' && raw.trim().toLowerCase() === 'none'))) {
    return { ok: true, value: null };
  }
  switch (def.type) {
    case 'int':
    case 'number': {
      const n = toNumber(raw);
      if (n === undefined) return problem(`is not a number; allowed: ${allowed(def)}`);
      if (def.type === 'int' && !Number.isInteger(n)) return problem(`is not a whole number; allowed: ${allowed(def)}`);
      if (!inRange(def, n)) return problem(`is out of range; allowed: ${allowed(def)}`);
      return { ok: true, value: n };
    }
    case 'bool': {
      const b = toBool(raw);
      return b === undefined ? problem(`is not On/Off; allowed: ${allowed(def)}`) : { ok: true, value: b };
    }
    case 'enum': {
      const key = typeof raw === 'string' ? enumKey(raw) : undefined;
      const hit = key === undefined ? undefined : def.values!.find((v) => enumKey(v) === key);
      return hit === undefined ? problem(`is not allowed; allowed: ${allowed(def)}`) : { ok: true, value: hit };
    }
    case 'string': {
      // A YAML key with nothing after it is null: for text that means "empty" (e.g. keep-alive off).
      if (raw === null) raw = '';
      if (typeof raw !== 'string') return problem(`is not a string; allowed: ${allowed(def)}`);
      if (def.maxLength !== undefined && raw.length > def.maxLength) return problem(`is too long; allowed: ${allowed(def)}`);
      const extra = STRING_CHECKS[name]?.(raw);
      return extra ? problem(`${extra}; allowed: ${allowed(def)}`) : { ok: true, value: raw };
    }
    case 'seconds-list': {
      const list = toNumberList(raw);
      if (!list || list.length === 0) return problem(`is not a comma-separated list of seconds; allowed: ${allowed(def)}`);
      if (def.maxLength !== undefined && list.length > def.maxLength) return problem(`has ${list.length} entries; allowed: ${allowed(def)}`);
      const bad = list.find((n) => !inRange(def, n));
      if (bad !== undefined) return problem(`has entry ${bad} out of range; allowed: ${allowed(def)}`);
      return { ok: true, value: Object.freeze(list) };
    }
    case 'port-range': {
      const list = toNumberList(raw, /[,\-]/);
      if (!list || list.length !== 2 || !list.every(Number.isInteger)) return problem(`is not a port range "first,last"; allowed: ${allowed(def)}`);
      if (!list.every((n) => inRange(def, n))) return problem(`is out of range; allowed: ${allowed(def)}`);
      if (list[0]! >= list[1]!) return problem(`is empty (first must be below last); allowed: ${allowed(def)}`);
      return { ok: true, value: Object.freeze(list) };
    }
  }
}

/** The value as an operator writes it in params.yaml or VOS3000's screen (None, On/Off, 0.5,1,2). */
export function formatParam(def: ParamDef, value: ParamValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'On' : 'Off';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** What the parameter accepts, in words: "300-86400 s", "Auto, On, Off, Must On", "On/Off". */
export function allowed(def: ParamDef): string {
  const unit = def.unit ? ` ${def.unit}` : '';
  const none = def.nullable ? ' or None' : '';
  switch (def.type) {
    case 'int':
    case 'number':
      return `${def.type === 'int' ? 'integer ' : ''}${def.min}-${def.max}${unit}${none}`;
    case 'bool':
      return 'On/Off';
    case 'enum':
      return def.values!.map((v) => `"${v}"`).join(', ');
    case 'string':
      return STRING_ALLOWED[def.name] ?? `text up to ${def.maxLength} characters`;
    case 'seconds-list':
      return `1-${def.maxLength} comma-separated values, each ${def.min}-${def.max}${unit}`;
    case 'port-range':
      return `first,last with ${def.min} <= first < last <= ${def.max}`;
  }
}

const STRING_ALLOWED: Record<string, string> = { SSW_TIME_ZONE: 'an IANA time zone name such as UTC or Europe/London' };

// Per-name checks for strings whose shape the type alone does not say.
const STRING_CHECKS: Record<string, (v: string) => string | undefined> = {
  SSW_TIME_ZONE: (v) => (isTimeZone(v) ? undefined : 'is not a time zone known to this system'),
};

function isTimeZone(tz: string): boolean {
  if (tz === '') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function inRange(def: ParamDef, n: number): boolean {
  return (def.min === undefined || n >= def.min) && (def.max === undefined || n <= def.max);
}

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'string' && NUMERIC.test(raw.trim())) return Number(raw.trim());
  return undefined;
}

function toNumberList(raw: unknown, sep: RegExp = /,/): number[] | undefined {
  let parts: unknown[];
  if (Array.isArray(raw)) parts = raw;
  else if (typeof raw === 'string') parts = raw.split(sep);
  else if (typeof raw === 'number') parts = [raw];
  else return undefined;
  const out: number[] = [];
  for (const p of parts) {
    const n = toNumber(p);
    if (n === undefined) return undefined;
    out.push(n);
  }
  return out;
}

function toBool(raw: unknown): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw !== 'string') return undefined;
  const s = raw.trim().toLowerCase();
  if (s === 'on' || s === 'true') return true;
  if (s === 'off' || s === 'false') return false;
  return undefined;
}

// Operators type enum values in any case and with _ or - for spaces (MUST_ON, must-on, Must On).
function enumKey(s: string): string {
  return s.trim().toLowerCase().replace(/[\s_-]+/g, ' ');
}

/** A raw value shown in an error message: short, quoted when a string. */
export function show(raw: unknown): string {
  let s: string;
  try {
    s = raw === undefined ? 'undefined' : JSON.stringify(raw) ?? String(raw);
  } catch {
    s = String(raw);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

// Assigned by ParamSet's static block (declared first: the block runs when the class is defined).
let DEFAULTS: ParamSet;

/** An immutable set of parameter values; `with` returns a new set (calls keep the set they started with). */
export class ParamSet {
  readonly #values: ReadonlyMap<string, ParamValue>;

  private constructor(values: Map<string, ParamValue>) {
    this.#values = values;
    Object.freeze(this);
  }

  /** Every parameter at its registry default. */
  static defaults(): ParamSet {
    return DEFAULTS;
  }

  /** Defaults overridden by `values` (raw, as in a file); throws SSW_ERR_CONFIG_PARAM listing every bad entry. */
  static from(values: Record<string, unknown>, source?: string): ParamSet {
    const { set, errors } = ParamSet.tryFrom(values, source);
    if (errors.length > 0) throw paramError(joinErrors(errors), { errors });
    return set!;
  }

  /** Like from(), but returns the messages (each prefixed with source) instead of throwing. */
  static tryFrom(values: Record<string, unknown>, source?: string): { set?: ParamSet; errors: string[] } {
    const prefix = source ? `${source}: ` : '';
    const errors: string[] = [];
    if (values === null || typeof values !== 'object' || Array.isArray(values)) {
      return { errors: [`${prefix}expected a mapping of parameter names to values, got ${show(values)}`] };
    }
    const map = new Map(DEFAULTS.#values);
    for (const [k, raw] of Object.entries(values)) {
      const r = parseParam(k, raw);
      if (r.ok) map.set(k, r.value);
      else errors.push(prefix + r.message);
    }
    return errors.length > 0 ? { errors } : { set: new ParamSet(map), errors };
  }

  /** A new set with one parameter changed; this set is left as it was. */
  with(name: string, raw: unknown): ParamSet {
    const r = parseParam(name, raw);
    if (!r.ok) throw paramError(r.message, { param: name });
    const map = new Map(this.#values);
    map.set(name, r.value);
    return new ParamSet(map);
  }

  /** The value of a declared parameter (throws on a name the registry does not declare). */
  get(name: string): ParamValue {
    const v = this.#values.get(name);
    if (v === undefined) throw paramError(unknownParamMessage(name), { param: name });
    return v;
  }

  /** A numeric parameter's value; throws if it is None or not numeric. */
  num(name: string): number {
    const v = this.get(name);
    if (typeof v !== 'number') throw paramError(`${name} is ${show(v)}, not a number`, { param: name });
    return v;
  }

  /** A numeric parameter that may be None (no limit): null then. */
  numOrNull(name: string): number | null {
    const v = this.get(name);
    if (v !== null && typeof v !== 'number') throw paramError(`${name} is ${show(v)}, not a number`, { param: name });
    return v;
  }

  /** An On/Off parameter's value. */
  bool(name: string): boolean {
    const v = this.get(name);
    if (typeof v !== 'boolean') throw paramError(`${name} is ${show(v)}, not On/Off`, { param: name });
    return v;
  }

  /** A string or enum parameter's value (enums in the registry's spelling). */
  str(name: string): string {
    const v = this.get(name);
    if (typeof v !== 'string') throw paramError(`${name} is ${show(v)}, not text`, { param: name });
    return v;
  }

  /** A seconds-list or port-range parameter's numbers (frozen). */
  list(name: string): readonly number[] {
    const v = this.get(name);
    if (!Array.isArray(v)) throw paramError(`${name} is ${show(v)}, not a list`, { param: name });
    return v as readonly number[];
  }

  /** Every parameter's value by name, in registry order. */
  toJSON(): Record<string, ParamValue> {
    const out: Record<string, ParamValue> = {};
    for (const n of NAMES) out[n] = this.#values.get(n)!;
    return out;
  }

  static {
    // Defaults are checked through parseParam so a bad declaration fails at import, not at 3 a.m.
    const map = new Map<string, ParamValue>();
    for (const d of DEFS) {
      const r = parseParam(d.name, d.default);
      if (!r.ok) throw paramError(`registry default is invalid: ${r.message}`);
      map.set(d.name, r.value);
    }
    DEFAULTS = new ParamSet(map);
  }
}

/** Error lines joined under a one-line summary. */
export function joinErrors(errors: readonly string[]): string {
  if (errors.length === 1) return errors[0]!;
  return `${errors.length} configuration errors:\n  ${errors.join('\n  ')}`;
}
