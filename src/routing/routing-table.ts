/**
 * RoutingTable: the routing gateways of one configuration generation and a PrefixTable over all
 * their prefixes. route() is the one code path for real calls and for explain: it finds every
 * matching gateway, computes the seven sort keys, applies the filters, and sorts.
 */
import type { Piscina } from 'piscina';
import { createError } from '../util/errors.js';
import { trieRegion, type TrieMemory } from '../wasm/trie.js';
import { PrefixTable } from './prefix-table.js';
import { compileInto, packPrefixes, type CompileFailure, type CompileInfo } from './trie-image.js';
import { sortsBeforeLineUsage } from './params.js';
import type { GatewayHealth } from './health.js';
import type { Limiter } from './limiter.js';
import type { LineUsage, QualityStats } from './quality.js';
import type {
  ConsideredGateway, FilterReason, ParamReader, RouteCandidate, RouteContext, RouteResult,
  RoutingGatewayPolicy, ScheduleRule, SortKeys,
} from './types.js';

const duplicateId = createError('SSW_ERR_ROUTING_DUPLICATE_GATEWAY');
const badRoutes = createError('SSW_ERR_ROUTING_COMPILED_MISMATCH', 500);

/** Live state route() reads; all optional so explain and tests can pass only what they have. */
export interface RoutingState {
  readonly params: ParamReader;
  readonly quality?: QualityStats | undefined;
  readonly limiter?: Limiter | undefined;
  readonly health?: GatewayHealth | undefined;
  readonly usage?: LineUsage | undefined;
}

type StepName = keyof SortKeys;

/**
 * The prefix side of a routing table compiled in another thread (the network worker): the trie
 * image already written into `trie`, and which gateways each trie value stands for. Only typed
 * arrays and one string, so it crosses threads as a few buffers.
 */
export interface CompiledRoutes {
  readonly trie: TrieMemory;
  readonly info: Extract<CompileInfo, { ok: true }>;
  /** Trie value v stands for gateways gatewayIndexes[gatewayStarts[v] .. gatewayStarts[v + 1]). */
  readonly gatewayStarts: Int32Array;
  readonly gatewayIndexes: Int32Array;
  /** The distinct prefixes in value order, joined by ',' (digits only, so the comma is free). */
  readonly prefixText: string;
}

/** What a gateway contributes to the prefix side: its id (unique) and prefixes ("*" = every number). */
type PrefixSource = Pick<RoutingGatewayPolicy, 'id' | 'prefixes'>;

export class RoutingTable {
  readonly gateways: readonly RoutingGatewayPolicy[];
  readonly #prefixes: PrefixTable;
  // Trie value = a distinct prefix; its gateways (indexes into `gateways`) in config order, as
  // #gws[#starts[v] .. #starts[v + 1]). So any number of gateways may share a prefix (the trie
  // itself caps values per prefix at 63).
  readonly #starts: Int32Array;
  readonly #gws: Int32Array;
  readonly #prefixText: readonly string[];
  readonly #seen: Int32Array; // per gateway: stamp of the last route() that saw it
  readonly #anyRealtime: boolean;
  #stamp = 0;

  private constructor(gateways: readonly RoutingGatewayPolicy[], prefixes: PrefixTable, index: PrefixIndex) {
    this.gateways = gateways;
    this.#prefixes = prefixes;
    this.#starts = index.starts;
    this.#gws = index.gws;
    this.#prefixText = index.text;
    this.#seen = new Int32Array(gateways.length);
    this.#anyRealtime = gateways.some((g) => g.realtimeQuality === true);
  }

  /** Builds in this thread; throws a coded error on a bad prefix or a duplicate gateway id. */
  static build(gateways: readonly RoutingGatewayPolicy[]): RoutingTable {
    const index = prefixIndexOf(gateways);
    return new RoutingTable(gateways, PrefixTable.build(index.text.map((prefix, value) => ({ prefix, value }))), index);
  }

  /** Builds the trie in the compile pool (large tables); same result as build(). */
  static async buildInPool(gateways: readonly RoutingGatewayPolicy[], pool?: Piscina): Promise<RoutingTable> {
    const index = prefixIndexOf(gateways);
    return new RoutingTable(gateways, await PrefixTable.buildInPool(index.text.map((prefix, value) => ({ prefix, value })), pool), index);
  }

  /**
   * Takes a table whose prefix side compileRoutes() built elsewhere over the same gateways in the
   * same order: O(1) for the trie (its image is already in place), one split for the prefix texts.
   */
  static fromCompiled(gateways: readonly RoutingGatewayPolicy[], c: CompiledRoutes): RoutingTable {
    // '' is both no prefix at all and the one prefix '*': the starts tell them apart.
    const text = c.gatewayStarts.length === 1 ? [] : c.prefixText.split(',');
    if (c.gatewayStarts.length !== text.length + 1 || c.gatewayStarts[text.length] !== c.gatewayIndexes.length) {
      throw badRoutes(`compiled routes do not fit: ${text.length} prefixes, ${c.gatewayStarts.length} starts, ${c.gatewayIndexes.length} gateway slots`);
    }
    for (let i = 0; i < c.gatewayIndexes.length; i++) {
      if (c.gatewayIndexes[i]! >= gateways.length) throw badRoutes(`compiled routes name gateway #${c.gatewayIndexes[i]} of ${gateways.length}`);
    }
    return new RoutingTable(gateways, PrefixTable.adopt(c.trie, c.info), { starts: c.gatewayStarts, gws: c.gatewayIndexes, text });
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
    const starts = this.#starts;
    const gws = this.#gws;
    this.#prefixes.forEachMatch(ctx.callee, (value, length) => {
      for (let k = starts[value]!; k < starts[value + 1]!; k++) {
        const gi = gws[k]!;
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

interface PrefixIndex {
  readonly starts: Int32Array;
  readonly gws: Int32Array;
  /** Distinct prefixes; index = trie value. */
  readonly text: string[];
}

// Distinct prefixes in first-seen order and the gateways of each; throws on a duplicate gateway id.
function prefixIndexOf(gateways: readonly PrefixSource[]): PrefixIndex {
  const ids = new Set<number>();
  const index = new Map<string, number>();
  const lists: number[][] = [];
  let slots = 0;
  gateways.forEach((g, gi) => {
    if (ids.has(g.id)) throw duplicateId(`routing gateway id ${g.id} is used twice`, { id: g.id });
    ids.add(g.id);
    for (const raw of g.prefixes) {
      const prefix = raw === '*' ? '' : raw.trim();
      let v = index.get(prefix);
      if (v === undefined) { v = lists.length; index.set(prefix, v); lists.push([]); }
      lists[v]!.push(gi);
      slots++;
    }
  });
  const starts = new Int32Array(lists.length + 1);
  const gws = new Int32Array(slots);
  let k = 0;
  lists.forEach((l, v) => {
    starts[v] = k;
    for (const gi of l) gws[k++] = gi;
  });
  starts[lists.length] = k;
  return { starts, gws, text: [...index.keys()] };
}

/**
 * The prefix side of a routing table over `gateways`, with the trie image compiled straight into
 * `trie` (any thread: the network worker does it so the event loop never compiles). A bad prefix is
 * a coded failure; a duplicate gateway id throws SSW_ERR_ROUTING_DUPLICATE_GATEWAY.
 */
export function compileRoutes(gateways: readonly PrefixSource[], trie: TrieMemory): CompiledRoutes | CompileFailure {
  const { starts, gws, text } = prefixIndexOf(gateways);
  const info = compileInto(packPrefixes(text, identityValues(text.length)), (bytes) => trieRegion(trie, bytes));
  if (!info.ok) return info;
  return { trie, info, gatewayStarts: starts, gatewayIndexes: gws, prefixText: text.join(',') };
}

function identityValues(n: number): Int32Array {
  const v = new Int32Array(n);
  for (let i = 0; i < n; i++) v[i] = i;
  return v;
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
