import type { LoadedConfig, MappingGateway } from '../config/types.js';
import { DialPlan, IDENTITY, validateRules, type DialRule, type RuleIssue } from '../dialplan/index.js';
import { rateCall, vendorRatePerMinute, type AccountBook, type BillingSettings, type Grant } from '../billing/index.js';
import { makeCdr, type CdrPipeline, type CdrRecord, type LedgerChange } from '../cdr/index.js';
import { SswError } from '../util/errors.js';
import { componentLogger } from '../util/log.js';
import { monotonicMs, utcOffsetMinutes, wallClockMs } from '../util/time.js';
import { runSliced, runSync, SliceClock, type SlicedJob } from '../util/slices.js';
import { mappingPolicyOf, routingPolicyOf } from './gateway-policy.js';
import { StaticPolicy } from './static-policy.js';
import { logHealthChange } from './prober.js';
import type { AttemptOutcome, Authorization, CallRecord, EndReason, RouteCandidate } from './types.js';
import {
  RoutingTable, QualityStats, Limiter, LineUsage, GatewayHealth, admitCall, shouldTryNext, mapFailure, minCallSeconds,
  type CompiledRoutes, type MappingGatewayPolicy, type RoutingGatewayPolicy, type RouteResult, type AttemptPhase, type EndReason as RouteEndReason,
} from '../routing/index.js';

const log = componentLogger('policy');

/** Texts for the end reasons, as operators know them from the reference's CDR view. */
export const END_REASON_TEXT: Readonly<Record<EndReason, string>> = {
  'normal-clearing': 'Normal clearing',
  'caller-cancel': 'Caller hang-up before answer',
  forbidden: 'Authentication failed',
  'no-route': 'No available router',
  'all-gateways-failed': 'All gateways failed',
  'callee-failure': 'Callee failure',
  'response-timeout': 'Response timeout',
  'connection-timeout': 'Connection timeout',
  'ack-timeout': 'No ACK from caller',
  'max-duration': 'Maximum call duration',
  'session-timeout': 'Session timeout',
  refused: 'Refused',
  shutdown: 'Server forced release',
  'operator-release': 'Server forced release',
  'bad-request': 'Bad request',
  'server-error': 'Server error',
};

interface Plans {
  readonly callee: DialPlan;
  readonly caller: DialPlan;
}

/** A compiled rule set and what its validator warned about, shared by every gateway with the same rules. */
interface PlanEntry {
  readonly plan: DialPlan;
  readonly warnings: readonly RuleIssue[];
}

/** Compiled rule sets by their rules' JSON: gateways with equal rules share one, and so do generations. */
type PlanCache = Map<string, PlanEntry>;

/**
 * Everything a generation compiles from its network (dial plans, gateway policies, the routing
 * table and lookups), built before the generation exists: in one go, or in slices (nextAsync).
 */
export interface PolicyParts {
  readonly mapPlans: Map<string, Plans>;
  readonly routePlans: Map<string, Plans>;
  readonly table: RoutingTable;
  readonly mappings: Map<string, MappingGatewayPolicy>;
  readonly byId: Map<number, RoutingGatewayPolicy>;
  readonly names: Map<number, string>;
  readonly plans: PlanCache;
}

interface Billing {
  readonly grant: Grant | null;
  readonly account: string;
}

export interface NetworkPolicyDeps {
  readonly book: AccountBook;
  /** The billing settings at start (a call is rated with its grant's own settings). */
  readonly settings: BillingSettings;
  /** Durable CDR pipeline; null runs without CDRs (tests of the signaling core). */
  readonly cdr: CdrPipeline | null;
  /** Seconds between crash checkpoints of answered calls. */
  readonly checkpointSeconds?: number;
}

/**
 * The call policy over the configured network: ingress by source IP, the mapping gateway's dial
 * plan before rating, authorization against the account's balance and rates, carriers by longest
 * prefix, the routing gateway's dial plan for the numbers it is sent, and at the end the rating,
 * the debit and one CDR through the durable journal.
 */
/**
 * What every generation of the policy shares across live reloads: limits, live quality, line
 * usage, health, the answered calls being checkpointed. Keyed by gateway id/name, so a carrier
 * that survives a reload keeps its counters and a call of an older generation releases into them.
 */
export class PolicyRuntime {
  readonly quality: QualityStats;
  readonly limiter = new Limiter();
  readonly usage = new LineUsage(0);
  /** Up/down per routing gateway from OPTIONS probes (GatewayProber); unprobed gateways are up. */
  readonly health: GatewayHealth;
  /** Health flips so far, for metrics. */
  healthChanges = 0;
  /** Gateway names by id of the newest generation (health log lines). */
  names = new Map<number, string>();
  readonly answered = new Map<string, CallRecord>();
  ticker: NodeJS.Timeout | null = null;

  constructor(params: LoadedConfig['paramSet']) {
    this.quality = new QualityStats(params);
    this.health = new GatewayHealth((c) => {
      this.healthChanges++;
      logHealthChange(this.names.get(c.gatewayId) ?? String(c.gatewayId), c.up);
    });
  }

  close(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }
}

/**
 * The call policy over the configured network: ingress by source IP, the mapping gateway's dial
 * plan before rating, authorization against the account's balance and rates, carriers by longest
 * prefix, the routing gateway's dial plan for the numbers it is sent, and at the end the rating,
 * the debit and one CDR through the durable journal.
 *
 * One object is one generation of the network: a live reload builds the next with next() and the
 * switch swaps it in; a call keeps the generation it started with (Call.policy).
 */
export class NetworkPolicy extends StaticPolicy {
  readonly #deps: NetworkPolicyDeps;
  readonly #mapPlans: Map<string, Plans>;
  readonly #routePlans: Map<string, Plans>;
  readonly #table: RoutingTable;
  readonly #mappings: Map<string, MappingGatewayPolicy>;
  readonly #byId: Map<number, RoutingGatewayPolicy>;
  readonly #plans: PlanCache;
  readonly #runtime: PolicyRuntime;
  readonly #ownsRuntime: boolean;
  /** Called with each CDR after it was handed to the journal (tests, metrics). */
  onCdr: ((cdr: CdrRecord, rec: CallRecord) => void) | null = null;

  /**
   * Compiles every gateway's dial plans and the routing table (unless `parts` brings them, built
   * over this same cfg by nextAsync); a bad rule throws SSW_ERR_CONFIG_INVALID naming the gateway.
   * Nothing shared is touched until it all compiled.
   */
  constructor(cfg: LoadedConfig, deps: NetworkPolicyDeps, runtime?: PolicyRuntime, parts?: PolicyParts) {
    super(cfg);
    this.#deps = deps;
    const p = parts ?? runSync(buildParts(cfg, null, null));
    this.#mapPlans = p.mapPlans;
    this.#routePlans = p.routePlans;
    this.#table = p.table;
    this.#mappings = p.mappings;
    this.#byId = p.byId;
    this.#plans = p.plans;
    this.#ownsRuntime = !runtime;
    this.#runtime = runtime ?? new PolicyRuntime(cfg.paramSet);
    this.#runtime.names = p.names;
    const every = (deps.checkpointSeconds ?? 10) * 1000;
    if (deps.cdr && !this.#runtime.ticker) {
      this.#runtime.ticker = setInterval(() => this.#checkpointAll(), every);
      this.#runtime.ticker.unref();
    }
  }

  /** The next generation over `cfg`, sharing limits, quality, health and checkpoints with this one. */
  next(cfg: LoadedConfig): NetworkPolicy {
    return this.#adopt(this.spawn(cfg, this.#deps, this.#runtime, runSync(buildParts(cfg, this.#plans, null))));
  }

  /**
   * next(), built in slices of a few ms with the event loop turning between them, so calls keep
   * flowing while a large network compiles. `routes` is the routing table's prefix side compiled
   * off-thread over cfg's routing gateways (validateNetworkOffThread); without it the trie is
   * compiled here in one piece. Rule sets equal to ones in force are taken over, not recompiled.
   */
  async nextAsync(cfg: LoadedConfig, routes: CompiledRoutes | null, clock = new SliceClock()): Promise<NetworkPolicy> {
    const parts = await runSliced(buildParts(cfg, this.#plans, routes), clock);
    try {
      return this.#adopt(this.spawn(cfg, this.#deps, this.#runtime, parts));
    } catch (err) {
      parts.table.release();
      throw err;
    }
  }

  #adopt<P extends NetworkPolicy>(p: P): P {
    p.onCdr = this.onCdr;
    p.onEnded = this.onEnded;
    return p;
  }

  /** Builds a generation of this policy's own class (a subclass overrides it with its extra parts). */
  protected spawn(cfg: LoadedConfig, deps: NetworkPolicyDeps, runtime: PolicyRuntime, parts: PolicyParts): NetworkPolicy {
    return new NetworkPolicy(cfg, deps, runtime, parts);
  }

  /** A newer generation took over: free the trie (calls in progress already hold their candidates). */
  retire(): void {
    this.#table.release();
  }

  get runtime(): PolicyRuntime {
    return this.#runtime;
  }
  get quality(): QualityStats {
    return this.#runtime.quality;
  }
  get limiter(): Limiter {
    return this.#runtime.limiter;
  }
  get usage(): LineUsage {
    return this.#runtime.usage;
  }
  get health(): GatewayHealth {
    return this.#runtime.health;
  }
  get healthChanges(): number {
    return this.#runtime.healthChanges;
  }

  close(): void {
    this.#runtime.close();
    this.#table.release();
  }

  /** Where this call would go and why: the same code path as real calls (explain). */
  explain(call: Pick<CallRecord, 'ingress' | 'callee' | 'params'>, nowWall = wallClockMs()): RouteResult {
    const mapping = this.#mappings.get(call.ingress.name) ?? adHocMapping(call.ingress);
    const callee = call.callee.billed;
    const book = this.#deps.book;
    const rt = this.#runtime;
    return this.#table.route({
      mapping, callee, nowWall, nowMono: monotonicMs(),
      utcOffsetMinutes: utcOffsetMinutes(call.params.str('SSW_TIME_ZONE'), nowWall),
      customerRate: rateOf(book, mapping.account, callee, nowWall),
      // The vendor prices the number as it is sent to it (after the carrier's dial plan).
      vendorRate: (id) => {
        const g = this.#byId.get(id);
        if (!g || !g.account) return null;
        const plan = this.#routePlans.get(g.name);
        return rateOf(book, g.account, plan ? plan.callee.transform(callee).output : callee, nowWall);
      },
    }, { params: call.params, quality: rt.quality, limiter: rt.limiter, usage: rt.usage, health: rt.health });
  }

  override routeCandidates(call: CallRecord): RouteCandidate[] {
    const r = this.explain(call, call.startWall);
    return r.candidates.map((c) => ({ gateway: c.gateway }));
  }

  attemptStarting(call: CallRecord, c: RouteCandidate): boolean {
    const gw = c.gateway as RoutingGatewayPolicy;
    const now = monotonicMs();
    if (this.limiter.tryAcquire('routing', gw.id, gw, now) !== 'ok') return false;
    ((call.ext.carriers as number[] | undefined) ?? (call.ext.carriers = [] as number[])).push(gw.id);
    this.quality.recordAttempt(gw.id, now);
    this.usage.record(gw.id, call.startWall);
    return true;
  }

  override tryNext(call: CallRecord, o: AttemptOutcome): boolean {
    return shouldTryNext(routeOutcome(o), o.attempt.gateway as RoutingGatewayPolicy, call.params).next;
  }

  override failureStatus(call: CallRecord, reason: EndReason, carrierStatus: number): { status: number; reason?: string } {
    const mapping = this.#mappings.get(call.ingress.name);
    const map = ROUTE_REASON[reason];
    if (reason === 'callee-failure' && carrierStatus >= 300) {
      const f = mapFailure({ code: carrierStatus, phase: 'progress', attempt: call.attempts.length }, mapping);
      return { status: f.sipCode };
    }
    if (map) {
      const f = mapFailure(map, mapping);
      return reason === 'no-route' ? { status: f.sipCode, reason: 'No Available Router' } : { status: f.sipCode };
    }
    return super.failureStatus(call, reason, carrierStatus);
  }

  /** The callee as the mapping gateway's dial plan makes it (what rating and routing see). */
  billedCallee(ingress: string, number: string): string {
    const p = this.#mapPlans.get(ingress);
    return p ? p.callee.transform(number).output : number;
  }

  override rewriteIngress(call: CallRecord): void {
    const p = this.#mapPlans.get(call.ingress.name);
    if (!p) return;
    call.callee.billed = p.callee.transform(call.callee.received).output;
    call.caller.billed = p.caller.transform(call.caller.received).output;
  }

  override authorize(call: CallRecord): Authorization {
    const { book } = this.#deps;
    const mapping = this.#mappings.get(call.ingress.name);
    if (mapping) {
      const refused = admitCall(mapping, this.limiter, monotonicMs());
      if (refused) return { ok: false, reason: 'refused', text: ADMIT_TEXT[refused.reason] ?? refused.reason, status: refused.sipCode };
      call.ext.admitted = true;
    }
    const accountId = call.ingress.account;
    // Billing refusals go through the mapping gateway's error-code replacement by end-reason text.
    const refuse = (text: string, status: number): Authorization => ({ ok: false, reason: 'refused', text, status: mapping?.errorCodes[text] ?? status });
    const group = book.rateGroupNameOf(accountId);
    if (group === undefined) return refuse('Account not found', 403);
    if (!group) {
      // An account without a rate group takes unrated calls (no charge); its lock, expiry and
      // concurrent-call limit still hold, the limit counted with its rated calls in the book.
      const slot = book.occupy(accountId, call.startWall);
      if (!slot.ok) return refuse(slot.reason, slot.sipStatus);
      call.ext.accountSlot = slot.slot;
      call.ext.billing = { grant: null, account: accountId } satisfies Billing;
      return { ok: true, maxDurationMs: 0 };
    }
    const r = book.authorize(accountId, call.callee.billed, call.startWall);
    if (!r.ok) return refuse(r.reason, r.sipStatus);
    call.ext.billing = { grant: r, account: accountId } satisfies Billing;
    return { ok: true, maxDurationMs: r.maxDurationMs };
  }

  override rewriteEgress(call: CallRecord, c: RouteCandidate): { callee: string; caller: string } {
    const p = this.#routePlans.get(c.gateway.name);
    if (!p) return { callee: call.callee.billed, caller: call.caller.billed };
    return { callee: p.callee.transform(call.callee.billed).output, caller: p.caller.transform(call.caller.billed).output };
  }

  extendDuration(call: CallRecord): number {
    const billing = call.ext.billing as Billing | undefined;
    if (!billing?.grant || !billing.grant.extendable) return 0;
    const g = this.#deps.book.extend(billing.grant.reservationId);
    if (!g.ok) return 0;
    call.ext.billing = { grant: g, account: billing.account } satisfies Billing;
    return g.maxDurationMs;
  }

  callAnswered(call: CallRecord): void {
    if (!this.#deps.cdr) return;
    this.#runtime.answered.set(call.flowNo, call);
    this.#checkpoint(call);
  }

  override callEnded(call: CallRecord): Promise<void> | undefined {
    this.#runtime.answered.delete(call.flowNo);
    this.#release(call);
    const billing = call.ext.billing as Billing | undefined;
    const holdMs = call.answerMono > 0 ? Math.max(0, call.endMono - call.answerMono) : 0;
    let fee = 0n;
    let billedSeconds = 0;
    let ratePrefix = '';
    const ledger: LedgerChange[] = [];
    if (billing?.grant) {
      const s = this.#deps.book.settle(billing.grant.reservationId, holdMs, call.endWall);
      if (s.ok) {
        fee = s.rated.fee;
        billedSeconds = s.rated.billedSeconds;
        ratePrefix = billing.grant.row.prefix;
        ledger.push(...callLedger(billing.account, fee, s.entry?.packageId ?? null, s.rated.packageSeconds));
      } else log.error({ flowNo: call.flowNo, code: s.code }, 'settle failed');
    }
    const cdr = toCdr(call, holdMs, fee, billedSeconds, ratePrefix);
    super.callEnded(call);
    this.onCdr?.(cdr, call);
    const pipe = this.#deps.cdr;
    if (!pipe) return undefined;
    return pipe.write(cdr, { ledger, callKey: call.answerMono > 0 ? call.flowNo : undefined }).catch((err) => {
      log.error({ err, flowNo: call.flowNo }, 'CDR journal write failed');
    });
  }

  /** Gives back limits and feeds the live quality figures. */
  #release(call: CallRecord): void {
    const now = monotonicMs();
    if (call.ext.admitted) this.limiter.release('mapping', call.ingress.name);
    if (typeof call.ext.accountSlot === 'number') this.#deps.book.vacate(call.ext.accountSlot);
    for (const id of (call.ext.carriers as number[] | undefined) ?? []) this.limiter.release('routing', id);
    for (const a of call.attempts) if (a.firstProvisionalMono >= 0) this.quality.recordPdd(a.gateway.id, a.firstProvisionalMono - a.startMono, now);
    const last = call.attempts[call.attempts.length - 1];
    if (last && call.answerMono > 0) {
      const talkMs = Math.max(0, call.endMono - call.answerMono);
      const minMs = minCallSeconds(call.ingress, last.gateway) * 1000;
      // A short call (false answer supervision, a call dropped at once) is not an answer for ASR.
      if (talkMs < minMs) call.ext.shortCall = true;
      else this.quality.recordAnswer(last.gateway.id, now);
      this.quality.recordEnd(last.gateway.id, talkMs, now);
    }
  }

  /** Records where every answered call stands, so a crash bills it up to here ("server restart"). */
  #checkpointAll(): void {
    for (const call of this.#runtime.answered.values()) this.#checkpoint(call);
  }

  #checkpoint(call: CallRecord): void {
    const pipe = this.#deps.cdr;
    if (!pipe) return;
    const holdMs = Math.max(0, monotonicMs() - call.answerMono);
    const billing = call.ext.billing as Billing | undefined;
    let fee = 0n;
    let billedSeconds = 0;
    const ledger: LedgerChange[] = [];
    if (billing?.grant) {
      const rated = rateCall(billing.grant.row, holdMs, billing.grant.settings, billing.grant.packageSeconds);
      fee = rated.fee;
      billedSeconds = rated.billedSeconds;
      ledger.push(...callLedger(billing.account, fee, rated.packageSeconds > 0 ? billing.grant.packageId : null, rated.packageSeconds));
    }
    const partial = { ...toCdr(call, holdMs, fee, billedSeconds, billing?.grant?.row.prefix ?? ''), endTime: wallClockMs() };
    pipe.checkpoint(call.flowNo, partial, ledger).catch((err) => log.error({ err, flowNo: call.flowNo }, 'checkpoint failed'));
  }
}

const ROUTE_REASON: Partial<Record<EndReason, RouteEndReason>> = {
  'no-route': 'no-available-router',
  'response-timeout': 'response-timeout',
  'connection-timeout': 'connection-timeout',
};

const ADMIT_TEXT: Partial<Record<RouteEndReason, string>> = {
  'customer-capacity-full': 'Mapping gateway capacity full',
  'customer-cps-exceeded': 'Mapping gateway CPS limit exceeded',
  'customer-locked': 'Mapping gateway locked',
};

// Ingress gateways not in the network (a phone's, whose object lives as long as the phone): their
// policy view is built once per object, not per call.
const adHocMappings = new WeakMap<MappingGateway, MappingGatewayPolicy>();

function adHocMapping(m: MappingGateway): MappingGatewayPolicy {
  let p = adHocMappings.get(m);
  if (!p) adHocMappings.set(m, (p = mappingPolicyOf(m)));
  return p;
}

/**
 * A call's ledger change for the customer: the debit, with the package seconds it used. A call paid
 * (partly) with package seconds leaves an entry even at no charge: the store sums them per package.
 */
function callLedger(account: string, fee: bigint, packageId: string | null, packageSeconds: number): LedgerChange[] {
  if (fee === 0n && packageId === null) return [];
  return [{ account, amount: -fee, reason: 'call', ...(packageId !== null ? { packageId, packageSeconds } : {}) }];
}

/** An account's rate per minute for a callee (1e-7 units, as a number), or null without one. */
function rateOf(book: AccountBook, accountId: string, callee: string, now: number): number | null {
  if (!accountId) return null;
  const group = book.rateGroupNameOf(accountId);
  const g = group ? book.rateGroup(group) : undefined;
  const r = g ? vendorRatePerMinute(g, callee, now) : null;
  return r === null ? null : Number(r);
}

/** The call layer's view of a failed attempt, in the routing engine's terms. */
function routeOutcome(o: AttemptOutcome): Parameters<typeof shouldTryNext>[0] {
  const a = o.attempt;
  const phase: AttemptPhase = o.timedOut && a.provisional === 0 ? 'no-response' : a.sdpSeen ? 'sdp' : a.provisional >= 180 && a.provisional !== 183 ? 'ringing' : a.provisional > 0 ? 'progress' : 'trying';
  return { code: o.timedOut ? null : o.status, phase, attempt: o.attemptsSoFar, sawSdp: a.sdpSeen, sawRinging: a.provisional === 180 || a.provisional === 181 || a.provisional === 182 };
}

/**
 * Builds a generation's parts, yielding after each gateway (the caller decides when to let the
 * event loop in). Rule sets are compiled once per distinct set, or taken from `prev` (the
 * generation in force) when it already compiled them.
 */
function* buildParts(cfg: LoadedConfig, prev: PlanCache | null, routes: CompiledRoutes | null): SlicedJob<PolicyParts> {
  const net = cfg.network;
  const plans: PlanCache = new Map();
  const mapPlans = new Map<string, Plans>();
  const routePlans = new Map<string, Plans>();
  const mappings = new Map<string, MappingGatewayPolicy>();
  for (const g of net.mappingGateways) {
    mapPlans.set(g.name, compilePlans(`mappingGateways.${g.name}`, g.calleeRules, g.callerRules, plans, prev));
    mappings.set(g.name, mappingPolicyOf(g));
    yield;
  }
  const gateways: RoutingGatewayPolicy[] = new Array(net.routingGateways.length);
  const byId = new Map<number, RoutingGatewayPolicy>();
  const names = new Map<number, string>();
  for (let i = 0; i < net.routingGateways.length; i++) {
    const g = net.routingGateways[i]!;
    routePlans.set(g.name, compilePlans(`routingGateways.${g.name}`, g.calleeRules, g.callerRules, plans, prev));
    const policy = routingPolicyOf(g);
    gateways[i] = policy;
    byId.set(policy.id, policy);
    names.set(g.id, g.name);
    yield;
  }
  // The trie last: once it exists, a failure must release it.
  const table = routes ? RoutingTable.fromCompiled(gateways, routes) : RoutingTable.build(gateways);
  return { mapPlans, routePlans, table, mappings, byId, names, plans };
}

function compilePlans(where: string, callee: readonly DialRule[], caller: readonly DialRule[], plans: PlanCache, prev: PlanCache | null): Plans {
  return { callee: planFor(where, 'calleeRules', callee, plans, prev), caller: planFor(where, 'callerRules', caller, plans, prev) };
}

function planFor(where: string, side: string, rules: readonly DialRule[], plans: PlanCache, prev: PlanCache | null): DialPlan {
  if (rules.length === 0) return IDENTITY;
  const key = JSON.stringify(rules);
  let e = plans.get(key);
  if (!e) {
    e = prev?.get(key) ?? compileRuleSet(where, rules);
    plans.set(key, e);
  }
  // Rules that can never match or that another rule shadows completely are legal but suspicious.
  for (const w of e.warnings) log.warn({ gateway: where, rules: side, index: w.index, rule: rules[w.index] }, `dial plan: ${w.message}`);
  return e.plan;
}

function compileRuleSet(where: string, rules: readonly DialRule[]): PlanEntry {
  const { warnings } = validateRules(rules);
  try {
    return { plan: DialPlan.compile(rules), warnings };
  } catch (err) {
    throw new SswError('SSW_ERR_CONFIG_INVALID', `network.yaml: ${where}: ${(err as Error).message}`, 400);
  }
}

/** The CDR of a call as it stands (at its end, or at a checkpoint). */
export function toCdr(call: CallRecord, holdMs: number, fee: bigint, billedSeconds: number, ratePrefix: string): CdrRecord {
  const last = call.attempts[call.attempts.length - 1];
  const firstProv = call.attempts.reduce((m, a) => (a.firstProvisionalMono >= 0 && (m < 0 || a.firstProvisionalMono < m) ? a.firstProvisionalMono : m), -1);
  const reason = call.endReason ?? 'normal-clearing';
  return makeCdr({
    flowNo: call.flowNo,
    callerAccess: call.caller.received,
    callerBilling: call.caller.billed,
    callerGateway: call.caller.sent,
    calleeAccess: call.callee.received,
    calleeBilling: call.callee.billed,
    calleeGateway: call.callee.sent,
    ingressGateway: call.ingress.name,
    ingressIp: call.source.address,
    egressGateway: last?.gateway.name ?? '',
    egressIp: last ? last.gateway.address : '',
    account: call.ingress.account,
    startTime: call.startWall,
    answerTime: call.answerWall > 0 ? call.answerWall : null,
    endTime: call.endWall > 0 ? call.endWall : wallClockMs(),
    holdTimeMs: Math.round(holdMs),
    billedSeconds,
    fee,
    ratePrefix,
    endDirection: call.endDirection as 0 | 1 | 2,
    endReason: reason,
    endReasonText: call.endReasonText || END_REASON_TEXT[reason],
    callerSipCode: call.callerSipCode,
    calleeSipCode: call.calleeSipCode,
    callerPdd: firstProv >= 0 ? Math.round(firstProv - call.startMono) : 0,
    calleePdd: last && last.firstProvisionalMono >= 0 ? Math.round(last.firstProvisionalMono - last.startMono) : 0,
    callerCallId: call.callerCallId,
    calleeCallId: last?.callId ?? '',
    gatewaysTried: call.attempts.length,
  });
}

