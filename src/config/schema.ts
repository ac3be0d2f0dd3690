/**
 * Field-description tables for the three configuration files and the one generic checker that
 * walks them. docs/configuration.md is generated from these same tables, so what the docs say a
 * field accepts is what the loader enforces.
 */
import { isIP } from 'node:net';
import { show } from './params.js';
import { suggest } from './suggest.js';

export type FieldType =
  | { readonly t: 'int'; readonly min: number; readonly max: number; readonly unit?: string }
  | { readonly t: 'bool' }
  | { readonly t: 'enum'; readonly values: readonly string[] }
  | { readonly t: 'text'; readonly maxLength: number; readonly pattern?: RegExp; readonly patternText?: string; readonly nonEmpty?: boolean }
  | { readonly t: 'ip' }
  | { readonly t: 'ip-or-empty' }
  | { readonly t: 'decimal'; readonly signed: boolean }
  | { readonly t: 'datetime' }
  | { readonly t: 'prefix' }
  | { readonly t: 'db-url' }
  | { readonly t: 'list'; readonly of: FieldType; readonly minItems?: number; readonly unique?: boolean; readonly commaString?: boolean }
  | { readonly t: 'object'; readonly fields: readonly FieldSpec[] };

export interface FieldSpec {
  readonly key: string;
  readonly type: FieldType;
  /** Value used when the field is absent; `undefined` with `required` unset means "filled in later". */
  readonly default?: unknown;
  readonly required?: boolean;
  /** Shown in the docs' default column instead of the default value (e.g. "the id", "assigned"). */
  readonly defaultText?: string;
  readonly doc: string;
  /**
   * server.yaml only: the running switch takes a change of this field on a reload (SIGHUP, an edit
   * of the file, POST /api/v1/server/reload). Fields without it need a restart.
   */
  readonly live?: boolean;
}

export interface FileSpec {
  readonly file: string;
  readonly required: boolean;
  readonly doc: string;
  readonly fields: readonly FieldSpec[];
}

/** Most decimal places a money string may carry: SERVER_BILLING_FEE_PRECISION's maximum. */
export const MONEY_DECIMALS = 7;

const NAME: FieldType = {
  t: 'text', maxLength: 64, nonEmpty: true, pattern: /^[A-Za-z0-9][A-Za-z0-9._@-]*$/,
  patternText: 'letters, digits, . _ @ - (starting with a letter or digit)',
};
const COUNT = (max: number, unit: string): FieldType => ({ t: 'int', min: 0, max, unit });
const PORT: FieldType = { t: 'int', min: 1, max: 65535 };
const TRANSPORT: FieldType = { t: 'enum', values: ['udp', 'tcp'] };
const GROUPS: FieldType = { t: 'list', of: NAME, unique: true };
const LIST_OF = (fields: readonly FieldSpec[], minItems?: number): FieldType => ({ t: 'list', of: { t: 'object', fields }, minItems });
const UNIQUE_NAME: FieldSpec = { key: 'name', type: NAME, required: true, doc: 'Unique name, shown in CDRs.' };
const CAPACITY: FieldSpec = { key: 'capacity', type: COUNT(1_000_000, 'calls'), default: 0, doc: 'Most concurrent calls; 0 = unlimited.' };
const CPS: FieldSpec = { key: 'cps', type: COUNT(100_000, 'calls/s'), default: 0, doc: 'Most new calls per second; 0 = unlimited.' };
const MIN_CALL: FieldSpec = { key: 'minCallSeconds', type: COUNT(3600, 's'), default: 0, doc: 'Short-call threshold (s): an answered call through this gateway that talks less than this (the larger of the customer\'s and the carrier\'s) counts as not answered in the carrier\'s live ASR (a guard against false answer supervision) and in ssw_gateway_short_calls_total; billing is unchanged. 0 = off.' };
const MAX_CALL: FieldSpec = { key: 'maxCallSeconds', type: COUNT(604_800, 's'), default: 0, doc: 'Longest a call through this gateway may talk (s), counted from the answer: the switch ends both legs at it (end reason "Gateway max call duration"); 0 = no cap of its own (SS_MAX_CALL_DURATION and the balance still apply).' };
// Dial-plan patterns are checked by the dial-plan engine; here only that they are one printable word.
const PATTERN_TEXT: FieldType = { t: 'text', maxLength: 256, pattern: /^[\x21-\x7e]*$/, patternText: 'printable characters, no spaces' };
const DIAL_RULES: FieldType = LIST_OF([
  { key: 'from', type: { ...PATTERN_TEXT, nonEmpty: true }, required: true, doc: 'Original prefix or pattern ("*" alone = every number; `?`, `L n`, `E n`, `G n` as in VOS3000).' },
  { key: 'to', type: PATTERN_TEXT, default: '', doc: 'Target prefix (`*` marks where the rest of the number goes, `?` a random digit, `$` the original digit, `a;b` one of several, `x-y` a range); empty strips the match.' },
]);
const PHONE_NUMBER: FieldType = { t: 'text', maxLength: 32, nonEmpty: true, pattern: /^\+?[0-9]+$/, patternText: 'digits, optionally after a +' };
const TIMEOUT = (phase: string, param: string): FieldSpec => ({
  key: phase, type: COUNT(3600, 's'), default: 0, doc: `${param} for this gateway; 0 = use the parameter.`,
});

const SIP_FAILURE: FieldType = { t: 'int', min: 300, max: 699 };
/** Weekday names of schedules, Sunday first (index = Date.getUTCDay()). */
export const WEEKDAYS: readonly string[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const TIME_OF_DAY: FieldType = { t: 'text', maxLength: 5, nonEmpty: true, pattern: /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, patternText: 'HH:MM, 00:00 to 24:00' };
/** The failure reasons a mapping gateway may replace the SIP code of (routing's EndReason). */
export const REASON_KEYS: readonly string[] = [
  'no-available-router', 'customer-capacity-full', 'customer-cps-exceeded', 'customer-locked',
  'response-timeout', 'connection-timeout', 'user-busy', 'remote-failure', 'switch-limit',
  // Billing's refusals, by their end-reason text (src/billing/refusal.ts).
  'No matching rate', 'Account locked', 'Account expired', 'Insufficient balance', 'Account concurrency limit',
  'No such account', 'Account not found',
];
const REASON_CODES: readonly FieldSpec[] = REASON_KEYS.map((k) => ({
  key: k, type: { t: 'int', min: 0, max: 699 } as FieldType, default: 0, doc: `SIP code for "${k}"; 0 = the default.`,
}));

/** pino's levels, most to least severe, and `silent`. */
export const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const SERVER_SPEC: FileSpec = {
  file: 'server.yaml',
  required: false,
  doc: 'Process-level settings: where the switch listens, limits on SIP messages, the store and the admin API. Optional: without it every field takes its default. ' +
    'Re-read without a restart on SIGHUP, when the file changes, or on POST /api/v1/server/reload: a file that does not pass changes nothing and the log (or the answer) names every problem; ' +
    'the fields marked `live` apply at once, the others keep the value the switch started with and are reported as pending a restart.',
  fields: [
    {
      key: 'listen',
      type: LIST_OF([
        { key: 'ip', type: { t: 'ip' }, required: true, doc: 'Local IP to bind (0.0.0.0 or :: for every interface). A server may list several.' },
        { key: 'port', type: PORT, default: 5060, doc: 'SIP port.' },
        { key: 'transports', type: { t: 'list', of: TRANSPORT, minItems: 1, unique: true }, default: ['udp', 'tcp'], doc: 'Transports on this address.' },
      ], 1),
      default: [{ ip: '127.0.0.1', port: 5060, transports: ['udp', 'tcp'] }],
      doc: 'SIP listen addresses; ip:port pairs must be unique. The first is the default source of outgoing calls.',
    },
    { key: 'drainSeconds', type: COUNT(3600, 's'), default: 30, live: true, doc: 'On SIGTERM/SIGINT, how long calls in progress may go on before they are torn down.' },
    { key: 'maxMessageBytes', type: { t: 'int', min: 1024, max: 65535, unit: 'bytes' }, default: 65535, live: true, doc: 'Largest SIP message accepted on any transport; larger gets 513 or is dropped.' },
    { key: 'udpMtu', type: { t: 'int', min: 576, max: 65535, unit: 'bytes' }, default: 1300, live: true, doc: 'A request larger than this is sent over TCP instead of UDP (RFC 3261 18.1.1).' },
    { key: 'userAgent', type: { t: 'text', maxLength: 128, pattern: /^[\x20-\x7e]*$/, patternText: 'printable ASCII' }, default: 'open-softswitch', live: true, doc: 'User-Agent / Server header value; empty sends none.' },
    { key: 'logLevel', type: { t: 'enum', values: LOG_LEVELS }, defaultText: '$SSW_LOG_LEVEL, else `info`', live: true, doc: 'Log level of the switch process. Absent: the level set by the SSW_LOG_LEVEL environment variable at start (`info` without it).' },
    { key: 'dbUrl', type: { t: 'db-url' }, default: 'sqlite:data/ssw.db', doc: 'The store: `sqlite:<file>` (embedded, relative to the working directory) or `mysql://user:pass@host:port/db`.' },
    { key: 'dataDir', type: { t: 'text', maxLength: 4096, nonEmpty: true }, default: 'data', doc: 'Directory for data files (CDR spool, admin token); relative to the working directory.' },
    { key: 'adminHost', type: { t: 'ip' }, default: '127.0.0.1', doc: 'Admin API (HTTP, /api/v1 and /metrics) listen IP. Keep it on a private address.' },
    { key: 'adminPort', type: { t: 'int', min: 0, max: 65535 }, default: 8080, doc: 'Admin API port (0 picks a free port, as tests do).' },
  ],
};

export const PARAMS_SPEC_DOC =
  'System-parameter overrides by VOS3000 name (`SS_SIP_SESSION_TTL: 900`). Optional: a parameter not listed keeps its default. ' +
  'Unknown names are errors (with a suggestion); `None` means no limit where a parameter allows it; On/Off parameters also take true/false. ' +
  'Re-read without a restart on SIGHUP, when the file changes, or on POST /api/v1/parameters/reload: the whole file is validated first (a wrong value changes nothing), then the new values apply to new calls at once; ' +
  'the few parameters marked `restart` keep their value until the next start and are reported as pending. Admin API overrides (`ssw params set`) win over the file. ' +
  'Every parameter, its default, range and whether it applies live: [parameters.md](parameters.md).';

export const NETWORK_SPEC: FileSpec = {
  file: 'network.yaml',
  required: true,
  doc: 'Who may send calls in (mapping gateways), their billing accounts, and the carriers calls go out to (routing gateways). Required. ' +
    'Re-read without a restart on SIGHUP, when the file changes, or on POST /api/v1/network/reload: a file that does not pass keeps the network in force and the log (or the answer) names every problem; calls in progress keep the network they started with. ' +
    'Changes made through the admin API are stored and laid over this file (see admin-api.md).',
  fields: [
    {
      key: 'accounts',
      type: LIST_OF([
        { key: 'id', type: NAME, required: true, doc: 'Account id; unique; mapping gateways refer to it. Quote numeric ids ("1001").' },
        { key: 'name', type: { t: 'text', maxLength: 128 }, defaultText: 'the id', doc: 'Display name.' },
        { key: 'prepaid', type: { t: 'bool' }, default: true, doc: 'Prepaid: calls are refused or cut when balance + credit limit runs out.' },
        { key: 'balance', type: { t: 'decimal', signed: true }, default: '0', doc: 'Opening balance as a quoted decimal string ("100.00"); billing keeps it as integer minor units.' },
        { key: 'creditLimit', type: { t: 'decimal', signed: false }, default: '0', doc: 'Overdraft allowed below zero, as a quoted decimal string.' },
        { key: 'rateGroup', type: { t: 'text', maxLength: 64 }, default: '', doc: 'Rate table the account is rated with (empty: none yet).' },
        { key: 'locked', type: { t: 'bool' }, default: false, doc: 'Locked accounts make no calls (end reason "Account locked").' },
        { key: 'capacity', type: COUNT(1_000_000, 'calls'), default: 0, doc: 'Most concurrent calls over all its gateways; 0 = unlimited.' },
        { key: 'kind', type: { t: 'enum', values: ['customer', 'clearing'] }, default: 'customer', doc: 'customer: pays for the calls its mapping gateways send; clearing: a carrier (vendor) account whose rate group prices what routing gateways charge us.' },
        { key: 'expiresAt', type: { t: 'datetime' }, default: '', doc: 'From this moment the account makes no calls (end reason "Account expired"); a recharge extends it by SERVER_PAY_DELAY_CUSTOMER_EXPIRE_DAY. Empty = never.' },
        {
          key: 'packages',
          type: LIST_OF([
            { key: 'id', type: NAME, required: true, doc: 'Package id, unique within the account. Its use is kept in the store by this id: a renewed package takes a new id (e.g. uk-500-2026-12).' },
            { key: 'prefixes', type: { t: 'list', of: { t: 'prefix' }, minItems: 1, unique: true, commaString: true }, required: true, doc: 'Callee prefixes (after the mapping gateway\'s dial plan) the free seconds cover; "*" = every number. A list or a comma string.' },
            { key: 'freeSeconds', type: COUNT(1_000_000_000, 's'), required: true, doc: 'Free billed seconds, used before money on calls to those prefixes (billed time per the rate\'s periods; a call that outlasts them pays the rest).' },
            { key: 'expiresAt', type: { t: 'datetime' }, default: '', doc: 'From this moment the package is void. Empty = never.' },
          ]),
          default: [],
          doc: 'Packages: free minutes on listed prefixes, used before money (the earliest expiring first). What is used is stored with each call\'s ledger entry and survives restarts and reloads.',
        },
      ]),
      default: [],
      doc: 'Billing accounts.',
    },
    {
      key: 'mappingGateways',
      type: LIST_OF([
        UNIQUE_NAME,
        { key: 'remoteIps', type: { t: 'list', of: { t: 'ip' }, minItems: 1, unique: true }, required: true, doc: 'Source IPs calls from this customer come from (any port); an IP belongs to one mapping gateway only.' },
        { key: 'account', type: NAME, required: true, doc: 'Id of the account its calls are billed to; must be in accounts.' },
        { key: 'locked', type: { t: 'bool' }, default: false, doc: 'A locked gateway\'s calls are refused.' },
        CAPACITY,
        CPS,
        MIN_CALL,
        MAX_CALL,
        { key: 'sessionTimer', type: { t: 'bool' }, default: true, doc: 'RFC 4028 session timers on the caller\'s leg (VOS3000 "session timer on/off"): the switch answers a caller\'s Session-Expires and ends calls whose refreshes stop, and checks callers without timers by re-INVITE every SS_SIP_NO_TIMER_REINVITE_INTERVAL. false: the caller\'s leg gets neither (its own refreshes are still relayed).' },
        { key: 'allowGroups', type: GROUPS, default: [], doc: 'Routing-gateway groups this customer may use; empty = all.' },
        { key: 'denyGroups', type: GROUPS, default: [], doc: 'Routing-gateway groups this customer may not use.' },
        { key: 'calleeRules', type: DIAL_RULES, default: [], doc: 'Dial plan for the called number, applied before rating and routing.' },
        { key: 'callerRules', type: DIAL_RULES, default: [], doc: 'Dial plan for the calling number, applied before rating and routing.' },
        {
          key: 'strategy',
          type: { t: 'object', fields: [
            { key: 'first', type: GROUPS, default: [], doc: 'Routing-gateway groups of the first strategy: their gateways sort before all others.' },
            { key: 'second', type: GROUPS, default: [], doc: 'Groups of the second strategy: after the first, before the rest.' },
          ] },
          default: {},
          doc: 'Routing strategy, sorting step 1 (before the longest prefix).',
        },
        { key: 'leastCostRouting', type: { t: 'bool' }, default: false, doc: 'Sort candidates by vendor rate (cheapest first) at the place SS_GATEWAYFEERATEROUTESORTCONFIG gives it; the rate is the clearing account\'s rate for the callee.' },
        { key: 'errorCodes', type: { t: 'object', fields: REASON_CODES }, default: {}, doc: 'Error-code replacement: the SIP code the caller gets for each failure reason; 0 = the default.' },
        { key: 'carrierCodes', type: LIST_OF([
          { key: 'code', type: SIP_FAILURE, required: true, doc: 'Final response code from the last carrier tried.' },
          { key: 'send', type: SIP_FAILURE, required: true, doc: 'Code sent to the caller instead.' },
        ]), default: [], doc: 'Error-code replacement by the carrier\'s own code (wins over errorCodes).' },
      ]),
      default: [],
      doc: 'Ingress gateways: customers that send calls in, recognised by source IP.',
    },
    {
      key: 'routingGateways',
      type: LIST_OF([
        UNIQUE_NAME,
        { key: 'id', type: { t: 'int', min: 1, max: 2_147_483_647 }, defaultText: 'assigned', doc: 'Unique id, the last tie-breaker in sorting; absent ids are assigned in file order (lowest unused first).' },
        { key: 'address', type: { t: 'ip' }, required: true, doc: 'Carrier IP.' },
        { key: 'port', type: PORT, default: 5060, doc: 'Carrier SIP port.' },
        { key: 'transport', type: TRANSPORT, default: 'udp', doc: 'Transport to the carrier.' },
        { key: 'localIp', type: { t: 'ip-or-empty' }, default: '', doc: 'Local IP to send from; must be one of server.yaml listen IPs; empty = the first.' },
        { key: 'prefixes', type: { t: 'list', of: { t: 'prefix' }, minItems: 1, unique: true, commaString: true }, required: true, doc: 'Called-number prefixes this carrier takes; "*" = every number. A list or a comma string ("911,112").' },
        { key: 'prefixStyle', type: { t: 'enum', values: ['continuation', 'terminating'] }, default: 'continuation', doc: 'Prefix mode (VOS3000 "carry through" / "terminate"). continuation: when this gateway cannot deliver the call, gateways matching shorter prefixes are still tried after it. terminating: once this gateway is a candidate, no gateway matching a shorter prefix is tried after it (gateways with a prefix as long or longer still are).' },
        { key: 'prefixPriority', type: COUNT(65535, ''), default: 0, doc: 'Among gateways with the same matching prefix, lower is tried first.' },
        { key: 'priority', type: COUNT(65535, ''), default: 0, doc: 'Gateway priority: lower is tried first.' },
        { key: 'weight', type: COUNT(65535, ''), default: 1, doc: 'Share of traffic among otherwise equal gateways.' },
        { key: 'groups', type: GROUPS, default: [], doc: 'Groups this gateway belongs to (for mapping gateways\' allow/deny lists).' },
        { key: 'locked', type: { t: 'bool' }, default: false, doc: 'Locked gateways are skipped.' },
        CAPACITY,
        CPS,
        MIN_CALL,
        MAX_CALL,
        { key: 'calleeRules', type: DIAL_RULES, default: [], doc: 'Dial plan for the called number sent to this carrier (after rating).' },
        { key: 'callerRules', type: DIAL_RULES, default: [], doc: 'Dial plan for the calling number sent to this carrier (after rating).' },
        {
          key: 'timeouts',
          type: {
            t: 'object',
            fields: [
              TIMEOUT('invite', 'SS_SIP_TIMEOUT_INVITE'),
              TIMEOUT('trying', 'SS_SIP_TIMEOUT_TRYING'),
              TIMEOUT('sessionProgress', 'SS_SIP_TIMEOUT_SESSION_PROGRESS'),
              TIMEOUT('sessionProgressSdp', 'SS_SIP_TIMEOUT_SESSION_PROGRESS_SDP'),
              TIMEOUT('ringing', 'SS_SIP_TIMEOUT_RINGING'),
            ],
          },
          default: {},
          doc: 'Per-phase timeouts in seconds.',
        },
        { key: 'sessionTimer', type: { t: 'bool' }, default: true, doc: 'RFC 4028 session timers on the carrier\'s leg (VOS3000 "session timer on/off"): the INVITE offers Session-Expires (SS_SIP_SESSION_TTL), the switch refreshes or expects refreshes as the carrier\'s answer says, and checks a carrier without timers by re-INVITE every SS_SIP_NO_TIMER_REINVITE_INTERVAL. false: the INVITE offers none and the leg gets no refreshes or checks (for carriers that mishandle them).' },
        { key: 'probeSeconds', type: { t: 'int', min: 0, max: 3600, unit: 's' }, default: 0, doc: 'Send OPTIONS to this carrier every this many seconds; one that stops answering (or answers 503) is taken out of routing until it answers again. 0 = no probing.' },
        { key: 'account', type: { ...NAME, nonEmpty: false }, default: '', doc: 'Clearing (vendor) account: its rate group gives this carrier\'s rate for a callee (least-cost routing, maxRate, minProfitPercent). Empty = no vendor rate.' },
        { key: 'maxRate', type: { t: 'decimal', signed: false }, defaultText: 'no cap', doc: 'Skip this carrier when its vendor rate per minute for the callee is above this (quoted decimal string).' },
        { key: 'minProfitPercent', type: { t: 'int', min: 0, max: 100, unit: '%' }, defaultText: 'off', doc: 'Skip this carrier when (customer rate - vendor rate) / customer rate is below this percent.' },
        { key: 'requireRate', type: { t: 'bool' }, default: false, doc: 'Skip this carrier when its clearing account has no rate for the callee.' },
        { key: 'realtimeQuality', type: { t: 'bool' }, defaultText: 'SS_GATEWAY_ASR_CALCULATE', doc: 'Calculate live ASR/ACD for this carrier and sort by it.' },
        { key: 'switchAfterRinging', type: { t: 'bool' }, defaultText: 'SS_GATEWAY_SWITCH_UNTIL_CONNECT', doc: 'Try the next carrier when this one fails after ringing.' },
        { key: 'switchAfterSdp', type: { t: 'bool' }, defaultText: 'not SS_SIP_STOP_SWITCH_AFTER_SDP', doc: 'Try the next carrier when this one fails after sending SDP.' },
        { key: 'switchAfterRtp', type: { t: 'bool' }, defaultText: 'not SS_GATEWAY_SWITCH_STOP_AFTER_RTP_START', doc: 'Try the next carrier when this one fails after media flowed.' },
        { key: 'switchAfterBusy', type: { t: 'bool' }, defaultText: 'not SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY', doc: 'Try the next carrier when this one answers busy (486/600).' },
        { key: 'switchOnCodes', type: { t: 'list', of: SIP_FAILURE, unique: true }, default: [], doc: 'Failure codes that move on to the next carrier; empty = every failure (subject to the switches above).' },
        { key: 'schedules', type: LIST_OF([
          { key: 'mode', type: { t: 'enum', values: ['allow', 'deny'] }, required: true, doc: 'deny: no calls while the rule is active; allow: calls only while one allow rule covering the callee is active.' },
          { key: 'prefixes', type: { t: 'list', of: { t: 'prefix' }, unique: true, commaString: true }, default: [], doc: 'Callee prefixes the rule covers; empty = every number.' },
          { key: 'weekdays', type: { t: 'list', of: { t: 'enum', values: WEEKDAYS }, unique: true }, default: [], doc: 'Days the rule is active; empty = every day.' },
          { key: 'from', type: TIME_OF_DAY, default: '00:00', doc: 'Start time (local, SSW_TIME_ZONE), inclusive.' },
          { key: 'to', type: TIME_OF_DAY, default: '24:00', doc: 'End time, exclusive; earlier than `from` wraps past midnight.' },
        ]), default: [], doc: 'Allow/deny this carrier by callee prefix, weekday and time of day, evaluated at call time in SSW_TIME_ZONE. A matching active deny wins.' },
      ]),
      default: [],
      doc: 'Egress gateways: carriers calls are sent to.',
    },
    {
      key: 'phones',
      type: LIST_OF([
        { key: 'number', type: PHONE_NUMBER, required: true, doc: 'The phone\'s number: its id, and the called number that reaches it (after the caller\'s dial plan). Quote it ("1001").' },
        { key: 'username', type: NAME, defaultText: 'the number', doc: 'SIP digest user name the phone registers and calls with; unique.' },
        { key: 'password', type: { t: 'text', maxLength: 128, nonEmpty: true, pattern: /^[\x20-\x7e]+$/, patternText: 'printable ASCII' }, required: true, doc: 'Digest password (MD5, realm `open-softswitch`). The store keeps only its HA1; the admin API never returns it.' },
        { key: 'account', type: NAME, required: true, doc: 'Id of the account the phone\'s calls are billed to; must be in accounts.' },
        { key: 'locked', type: { t: 'bool' }, default: false, doc: 'A locked phone cannot register, call or be called.' },
        { key: 'capacity', type: COUNT(1000, 'calls'), default: 0, doc: 'Most concurrent calls from and to the phone; 0 = unlimited.' },
        { key: 'calleeRules', type: DIAL_RULES, default: [], doc: 'Dial plan for the called number: what the phone dials (before rating and routing), and the number sent to the phone when it is called.' },
        { key: 'callerRules', type: DIAL_RULES, default: [], doc: 'Dial plan for the calling number of the phone\'s own calls (before rating and routing).' },
      ]),
      default: [],
      doc: 'SIP phones that register with digest credentials (see phones.md).',
    },
  ],
};

/** What a field type accepts, in words, for error messages and the docs' type column. */
export function describeType(type: FieldType): string {
  switch (type.t) {
    case 'int':
      return `integer ${type.min}-${type.max}${type.unit ? ` ${type.unit}` : ''}`;
    case 'bool':
      return 'true/false';
    case 'enum':
      return type.values.map((v) => `"${v}"`).join(' or ');
    case 'text':
      return `text${type.nonEmpty ? ' (not empty)' : ''}${type.patternText ? `: ${type.patternText}` : ''}, at most ${type.maxLength} characters`;
    case 'ip':
      return 'IPv4 or IPv6 address';
    case 'ip-or-empty':
      return 'IPv4 or IPv6 address, or empty';
    case 'decimal':
      return `${type.signed ? '' : 'non-negative '}decimal string with at most ${MONEY_DECIMALS} decimals, e.g. "100.00"`;
    case 'prefix':
      return 'digits, or "*" for every number';
    case 'datetime':
      return 'ISO 8601 date-time with a zone ("2027-01-31T00:00:00Z"), or empty';
    case 'db-url':
      return '"sqlite:<file>" or "mysql://user:pass@host:port/db"';
    case 'list': {
      const n = type.minItems ? `${type.minItems} or more` : '';
      return `list of ${n}${n ? ' ' : ''}${type.unique ? 'distinct ' : ''}(${describeType(type.of)})`;
    }
    case 'object':
      return 'mapping';
  }
}

/** Collects "<source>: <path>: <problem>; allowed: <what>" lines while one file is checked. */
export class Issues {
  readonly lines: string[] = [];
  constructor(readonly source: string) {}

  /** Records one problem at a field path ("" = the whole file). */
  add(path: string, problem: string): void {
    this.lines.push(`${this.source}: ${path || '(top level)'}: ${problem}`);
  }

  /** Records a rejected value with what its type allows. */
  bad(path: string, raw: unknown, what: string, type: FieldType): void {
    this.add(path, `${show(raw)} ${what}; allowed: ${describeType(type)}`);
  }
}

const BAD = Symbol('bad');
type Checked = unknown;

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const DECIMAL_SIGNED = new RegExp(`^-?\\d{1,15}(\\.\\d{1,${MONEY_DECIMALS}})?$`);
const DECIMAL_UNSIGNED = new RegExp(`^\\d{1,15}(\\.\\d{1,${MONEY_DECIMALS}})?$`);

/**
 * Checks one value against its type, filling object defaults. A scalar that fails, or a value of
 * the wrong shape for a list or mapping, returns BAD after recording why.
 */
export function checkValue(raw: unknown, type: FieldType, path: string, issues: Issues): Checked | typeof BAD {
  switch (type.t) {
    case 'int':
      if (typeof raw !== 'number' || !Number.isInteger(raw)) return fail(`is not a whole number`);
      if (raw < type.min || raw > type.max) return fail('is out of range');
      return raw;
    case 'bool':
      return typeof raw === 'boolean' ? raw : fail('is not true/false');
    case 'enum':
      return typeof raw === 'string' && type.values.includes(raw) ? raw : fail('is not allowed');
    case 'text':
      if (typeof raw !== 'string') return fail(typeof raw === 'number' ? 'is a number, not text (quote it)' : 'is not text');
      if (type.nonEmpty && raw === '') return fail('is empty');
      if (raw.length > type.maxLength) return fail('is too long');
      if (type.pattern && raw !== '' && !type.pattern.test(raw)) return fail('has characters that are not allowed');
      return raw;
    case 'ip':
    case 'ip-or-empty':
      if (typeof raw !== 'string') return fail('is not an IP address');
      if (type.t === 'ip-or-empty' && raw === '') return raw;
      return isIP(raw) !== 0 ? raw : fail('is not an IP address');
    case 'decimal':
      if (typeof raw === 'number') return fail('is a YAML number; write money as a quoted decimal string');
      if (typeof raw !== 'string') return fail('is not a decimal string');
      return (type.signed ? DECIMAL_SIGNED : DECIMAL_UNSIGNED).test(raw) ? raw : fail('is not a decimal amount');
    case 'datetime':
      if (raw instanceof Date) raw = raw.toISOString();
      if (typeof raw !== 'string') return fail('is not a date-time');
      if (raw === '') return raw;
      return DATETIME.test(raw) && Number.isFinite(Date.parse(raw)) ? raw : fail('is not a date-time with a zone');
    case 'prefix':
      if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) raw = String(raw);
      if (typeof raw !== 'string') return fail('is not a prefix');
      // "*" is the VOS3000 spelling of "every number"; internally that is the empty prefix.
      if (raw === '*') return '';
      return /^\d{1,32}$/.test(raw) ? raw : fail('is not a prefix');
    case 'db-url':
      if (typeof raw !== 'string') return fail('is not a URL');
      if (/^sqlite:.+/.test(raw) || /^mysql:\/\/[^/]+\/[^/?#]+/.test(raw)) return raw;
      return failShown(redactUrl(raw), 'is not a store URL');
    case 'list':
      return checkList(raw, type, path, issues);
    case 'object':
      return checkObject(raw, type.fields, path, issues);
  }
  function fail(what: string): typeof BAD {
    issues.bad(path, raw, what, type);
    return BAD;
  }
  function failShown(shown: string, what: string): typeof BAD {
    issues.bad(path, shown, what, type);
    return BAD;
  }
}

function checkList(raw: unknown, type: Extract<FieldType, { t: 'list' }>, path: string, issues: Issues): Checked | typeof BAD {
  let items = raw;
  if (type.commaString && typeof raw === 'string') items = raw.split(',').map((s) => s.trim());
  if (!Array.isArray(items)) {
    issues.bad(path, raw, 'is not a list', type);
    return BAD;
  }
  if (type.minItems && items.length < type.minItems) {
    issues.bad(path, raw, `has ${items.length} entries`, type);
    return BAD;
  }
  const out: unknown[] = [];
  items.forEach((item, i) => {
    const v = checkValue(item, type.of, `${path}[${i}]`, issues);
    // A bad mapping keeps its place (as an empty one) so later cross-checks name the right index.
    if (v === BAD) {
      if (type.of.t === 'object') out.push({});
    } else if (type.unique && out.includes(v)) {
      issues.bad(`${path}[${i}]`, item, 'is listed twice', type);
    } else out.push(v);
  });
  return out;
}

/** Checks a mapping against its fields: unknown keys, missing required ones, each value; fills defaults. */
export function checkObject(raw: unknown, fields: readonly FieldSpec[], path: string, issues: Issues): Record<string, unknown> | typeof BAD {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    issues.add(path, `${show(raw)} is not a mapping; allowed fields: ${fields.map((f) => f.key).join(', ')}`);
    return BAD;
  }
  const obj = raw as Record<string, unknown>;
  const keys = fields.map((f) => f.key);
  for (const k of Object.keys(obj)) {
    if (keys.includes(k)) continue;
    const s = suggest(k, keys);
    issues.add(join(path, k), `unknown field${s ? ` (did you mean ${s}?)` : ''}; allowed fields: ${keys.join(', ')}`);
  }
  // Partial on error (bad fields left out): the caller throws whenever issues were recorded, and the
  // partial result lets cross-field checks still report their own problems in the same pass.
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const p = join(path, f.key);
    let v = obj[f.key];
    if (v === undefined || v === null) {
      if (f.required) {
        issues.add(p, `missing; required: ${describeType(f.type)}`);
        continue;
      }
      if (f.default === undefined) continue;
      v = structuredClone(f.default);
    }
    const c = checkValue(v, f.type, p, issues);
    if (c !== BAD) out[f.key] = c;
  }
  return out;
}

/** True for checkValue's "this value was rejected" marker. */
export function isBad(v: unknown): v is typeof BAD {
  return v === BAD;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** The URL with any password replaced, so a bad dbUrl can be shown in logs and errors. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}
