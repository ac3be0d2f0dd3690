/**
 * RoutingTable: the routing gateways of one configuration generation and a PrefixTable over all
 * their prefixes. route() is the one code path for real calls and for explain: it finds every
 * matching gateway, computes the seven sort keys, applies the filters, and sorts.
 */
import type { Piscina } from 'piscina';
import { createError } from '../util/errors.js';
import { PrefixTable, type PrefixEntry } from './prefix-table.js';
import { sortsBeforeLineUsage } from './params.js';
import type { GatewayHealth } from './health.js';
import type { Limiter } from './limiter.js';
import type { LineUsage, QualityStats } from './quality.js';
import type {
  ConsideredGateway, FilterReason, ParamReader, RouteCandidate, RouteContext, RouteResult,
  RoutingGatewayPolicy, ScheduleRule, SortKeys,
} from './types.js';

const duplicateId = createError('SSW_ERR_ROUTING_DUPLICATE_GATEWAY');

/** Live state route() reads; all optional so explain and tests can pass only what they have. */
export interface RoutingState {
  readonly params: ParamReader;
  readonly quality?: QualityStats | undefined;
  readonly limiter?: Limiter | undefined;
  readonly health?: GatewayHealth | undefined;
  readonly usage?: LineUsage | undefined;
}

type StepName = keyof SortKeys;

export class RoutingTable {
  readonly gateways: readonly RoutingGatewayPolicy[];
  readonly #prefixes: PrefixTable;
  // Trie value = a distinct prefix; its gateways (indexes into `gateways`) in config order. So any
  // number of gateways may share a prefix (the trie itself caps values per prefix at 63).
  readonly #prefixGateways: readonly Int32Array[];
  readonly #prefixText: readonly string[];
  readonly #seen: Int32Array; // per gateway: stamp of the last route() that saw it
  readonly #anyRealtime: boolean;
  #stamp = 0;

  private constructor(gateways: readonly RoutingGatewayPolicy[], prefixes: PrefixTable, byPrefix: Int32Array[], text: string[]) {
    this.gateways = gateways;
    this.#prefixes = prefixes;
    this.#prefixGateways = byPrefix;
    this.#prefixText = text;
    this.#seen = new Int32Array(gateways.length);
    this.#anyRealtime = gateways.some((g) => g.realtimeQuality === true);
  }

  /** Builds in this thread; throws a coded error on a bad prefix or a duplicate gateway id. */
  static build(gateways: readonly RoutingGatewayPolicy[]): RoutingTable {
    const { entries, gw, px } = entriesOf(gateways);
    return new RoutingTable(gateways, PrefixTable.build(entries), gw, px);
  }

  /** Builds the trie in the compile pool (large tables); same result as build(). */
  static async buildInPool(gateways: readonly RoutingGatewayPolicy[], pool?: Piscina): Promise<RoutingTable> {
    const { entries, gw, px } = entriesOf(gateways);
    return new RoutingTable(gateways, await PrefixTable.buildInPool(entries, pool), gw, px);
  }

  /** Frees the trie; calls holding candidate lists are unaffected. */
  release(): void {
    this.#prefixes.release();
  }

  /** Ordered candidates for a call, plus every matching gateway with its keys and filter reason. */
  route(ctx: RouteContext, state: RoutingState): RouteResult {
    const { params } = state;
    const steps = sortSteps(ctx, params, this.#anyRealtime);
    if (ctx.mapping.locked) return { candidates: [], considered: [], steps, endReason: 'customer-locked' };
    const stamp = ++this.#stamp;
    const found: { gi: number; prefix: string; length: number }[] = [];
    this.#prefixes.forEachMatch(ctx.callee, (value, length) => {
      for (const gi of this.#prefixGateways[value]!) {
        if (this.#seen[gi] === stamp) continue; // longest match of this gateway already taken
        this.#seen[gi] = stamp;
        found.push({ gi, prefix: this.#prefixText[value]!, length });
      }
    });
    const asrOn = params.bool('SS_GATEWAY_ASR_CALCULATE');
    const rows: { c: ConsideredGateway; rate: number | null }[] = found.map(({ gi, prefix, length }) => {
      const g = this.gateways[gi]!;
      const rate = ctx.vendorRate ? ctx.vendorRate(g.id) : null;
      const keys: SortKeys = {
        strategy: strategyRank(ctx, g),
        prefixLength: length,
        prefixPriority: g.prefixPriority,
        priority: g.priority,
        asr: (g.realtimeQuality ?? asrOn) && state.quality ? state.quality.asr(g.id, ctx.nowMono) : null,
        rate: ctx.mapping.leastCostRouting ? rate : null,
        lineUsage: state.usage ? state.usage.today(g.id, ctx.nowWall) : 0,
        id: g.id,
      };
      return { c: { gateway: g, prefix, keys, filtered: filterOf(ctx, state, g, rate), rank: -1 }, rate };
    });
    const cmp = comparator(steps);
    rows.sort((a, b) => cmp(a.c.keys, b.c.keys));
    const candidates: RouteCandidate[] = [];
    // Prefix mode: after an offered terminating gateway, shorter prefixes are not tried.
    let cut = -1;
    const considered: ConsideredGateway[] = rows.map(({ c, rate }) => {
      if (c.filtered !== null) return c;
      if (c.keys.prefixLength < cut) return { ...c, filtered: 'prefix-terminated' as const };
      if (c.gateway.prefixStyle === 'terminating' && c.keys.prefixLength > cut) cut = c.keys.prefixLength;
      candidates.push({ gateway: c.gateway, prefix: c.prefix, keys: c.keys, vendorRate: rate });
      return { ...c, rank: candidates.length - 1 };
    });
    return { candidates, considered, steps, endReason: candidates.length === 0 ? 'no-available-router' : null };
  }
}

function entriesOf(gateways: readonly RoutingGatewayPolicy[]): { entries: PrefixEntry[]; gw: Int32Array[]; px: string[] } {
  const ids = new Set<number>();
  const index = new Map<string, number>();
  const lists: number[][] = [];
  gateways.forEach((g, gi) => {
    if (ids.has(g.id)) throw duplicateId(`routing gateway id ${g.id} is used twice`, { id: g.id });
    ids.add(g.id);
    for (const raw of g.prefixes) {
      const prefix = raw === '*' ? '' : raw.trim();
      let v = index.get(prefix);
      if (v === undefined) { v = lists.length; index.set(prefix, v); lists.push([]); }
      lists[v]!.push(gi);
    }
  });
  const px = [...index.keys()];
  return { entries: px.map((prefix, value) => ({ prefix, value })), gw: lists.map((l) => Int32Array.from(l)), px };
}

/** The sort steps in order for this call: step 5's ASR/rate go before line usage or before id. */
export function sortSteps(ctx: Pick<RouteContext, 'mapping'>, params: ParamReader, anyGatewayRealtime = false): StepName[] {
  const asr = params.bool('SS_GATEWAY_ASR_CALCULATE') || anyGatewayRealtime;
  const rate = ctx.mapping.leastCostRouting;
  const pre: StepName[] = [];
  const post: StepName[] = [];
  const asrList = sortsBeforeLineUsage(params.str('SS_GATEWAYASRROUTESORTCONFIG')) ? pre : post;
  const rateList = sortsBeforeLineUsage(params.str('SS_GATEWAYFEERATEROUTESORTCONFIG')) ? pre : post;
  const rateFirst = params.bool('SS_GATEWAY_FEE_RATE_ROUTE_BEFORE_ASR');
  if (rate && rateFirst) rateList.push('rate');
  if (asr) asrList.push('asr');
  if (rate && !rateFirst) rateList.push('rate');
  return ['strategy', 'prefixLength', 'prefixPriority', 'priority', ...pre, 'lineUsage', ...post, 'id'];
}

// Direction per step: -1 = larger first.
function comparator(steps: readonly StepName[]): (a: SortKeys, b: SortKeys) => number {
  return (a, b) => {
    for (const s of steps) {
      const d = compareStep(s, a, b);
      if (d !== 0) return d;
    }
    return 0;
  };
}

function compareStep(s: StepName, a: SortKeys, b: SortKeys): number {
  switch (s) {
    case 'prefixLength': return b.prefixLength - a.prefixLength;
    case 'asr': return nullsLast(a.asr, b.asr, -1);
    case 'rate': return nullsLast(a.rate, b.rate, 1);
    default: return (a[s] as number) - (b[s] as number);
  }
}

function nullsLast(a: number | null, b: number | null, dir: 1 | -1): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -dir : dir;
}

function strategyRank(ctx: RouteContext, g: RoutingGatewayPolicy): number {
  const { first, second } = ctx.mapping.strategy;
  if (first.length === 0 && second.length === 0) return 0;
  if (g.groups.some((x) => first.includes(x))) return 0;
  if (g.groups.some((x) => second.includes(x))) return 1;
  return 2;
}

function filterOf(ctx: RouteContext, state: RoutingState, g: RoutingGatewayPolicy, rate: number | null): FilterReason | null {
  if (g.locked) return 'locked';
  const m = ctx.mapping;
  if (m.allowGroups.length > 0 && !g.groups.some((x) => m.allowGroups.includes(x))) return 'group-not-allowed';
  if (g.groups.some((x) => m.denyGroups.includes(x))) return 'group-not-allowed';
  if (state.health && !state.health.isUp(g.id)) return 'down';
  if (!scheduleAllows(g.schedules, ctx.callee, ctx.nowWall, ctx.utcOffsetMinutes ?? g.utcOffsetMinutes)) return 'schedule-deny';
  if (rate === null && g.requireRate) return 'no-rate';
  if (rate !== null && g.maxRate !== null && rate > g.maxRate) return 'max-rate';
  const cust = ctx.customerRate ?? null;
  // Integer-safe: (cust - rate) / cust < min% <=> (cust - rate) * 100 < min * cust.
  if (rate !== null && cust !== null && g.minProfitPercent !== null && (cust - rate) * 100 < g.minProfitPercent * cust) return 'min-profit';
  if (state.limiter) {
    const v = state.limiter.check('routing', g.id, g, ctx.nowMono);
    if (v !== 'ok') return v;
  }
  return null;
}

/** Deny rules that match now win; if allow rules cover the callee, one of them must match now. */
export function scheduleAllows(rules: readonly ScheduleRule[], callee: string, nowWall: number, utcOffsetMinutes: number): boolean {
  if (rules.length === 0) return true;
  const local = new Date(nowWall + utcOffsetMinutes * 60_000);
  const day = local.getUTCDay();
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  let allowCovers = false;
  let allowNow = false;
  for (const r of rules) {
    if (r.prefixes.length > 0 && !r.prefixes.some((p) => callee.startsWith(p))) continue;
    const active = (r.weekdays.length === 0 || r.weekdays.includes(day)) && inWindow(minute, r.fromMinute, r.toMinute);
    if (r.mode === 'deny') { if (active) return false; }
    else { allowCovers = true; if (active) allowNow = true; }
  }
  return !allowCovers || allowNow;
}

function inWindow(m: number, from: number, to: number): boolean {
  return from <= to ? m >= from && m < to : m >= from || m < to;
}
