/**
 * Routing types. The config contract (src/config/types.ts) carries the gateway fields every room
 * shares; the Policy types add the routing-only fields with defaults (see withRoutingDefaults /
 * withMappingDefaults) until the config schema grows them.
 */
import type { MappingGateway, RoutingGateway } from '../config/types.js';

/** Parameter getter accepted by the engine (the registry's ParamSet fits it). */
export interface ParamReader {
  num(name: string): number;
  bool(name: string): boolean;
  str(name: string): string;
  numOrNull(name: string): number | null;
}

/** A weekday/time-of-day rule on callee prefixes; times are minutes after local midnight. */
export interface ScheduleRule {
  readonly mode: 'allow' | 'deny';
  /** Callee prefixes the rule covers; [] or [""] = every number. */
  readonly prefixes: readonly string[];
  /** 0 = Sunday ... 6 = Saturday; [] = every day. */
  readonly weekdays: readonly number[];
  /** [fromMinute, toMinute) after local midnight; from > to wraps past midnight. */
  readonly fromMinute: number;
  readonly toMinute: number;
}

/** Failure reasons the engine names; the caller sees the mapped SIP code. */
export type EndReason =
  | 'no-available-router'
  | 'customer-capacity-full'
  | 'customer-cps-exceeded'
  | 'customer-locked'
  | 'response-timeout'
  | 'connection-timeout'
  | 'user-busy'
  | 'remote-failure'
  | 'switch-limit';

/** Config fields the policy holds in engine form (schedules in minutes, money as integer units). */
type RoutingOnly =
  | 'account' | 'maxRate' | 'minProfitPercent' | 'requireRate' | 'realtimeQuality' | 'switchAfterRinging' | 'switchAfterSdp'
  | 'switchAfterRtp' | 'switchAfterBusy' | 'switchOnCodes' | 'schedules';
type MappingOnly = 'strategy' | 'leastCostRouting' | 'errorCodes' | 'carrierCodes';

/** The gateway fields every room shares (address, prefixes, priorities, limits, dial plans). */
export type RoutingGatewayBase = Omit<RoutingGateway, RoutingOnly>;
export type MappingGatewayBase = Omit<MappingGateway, MappingOnly>;

/** Egress gateway with routing-only fields. Tri-state switches: undefined = follow the parameter. */
export interface RoutingGatewayPolicy extends RoutingGatewayBase {
  /** Clearing (vendor) account whose rate group prices this carrier; '' = none. */
  readonly account: string;
  /** Calculate real-time ASR/ACD for this gateway; undefined = SS_GATEWAY_ASR_CALCULATE. */
  readonly realtimeQuality?: boolean | undefined;
  readonly switchAfterRinging?: boolean | undefined;
  readonly switchAfterSdp?: boolean | undefined;
  readonly switchAfterRtp?: boolean | undefined;
  readonly switchAfterBusy?: boolean | undefined;
  /** Failure codes that move to the next gateway; [] = every failure. */
  readonly switchOnCodes: readonly number[];
  readonly schedules: readonly ScheduleRule[];
  /** Local-time offset for schedules, minutes east of UTC. */
  readonly utcOffsetMinutes: number;
  /** Refuse the gateway when its vendor rate (1e-7 units/min, as billing's Money) is above this; null = no cap. */
  readonly maxRate: number | null;
  /** Refuse when (customer rate - vendor rate) / customer rate is below this percent; null = off. */
  readonly minProfitPercent: number | null;
  /** A vendor rate must exist for the callee (feerateRestrict). */
  readonly requireRate: boolean;
  readonly minCallSeconds: number;
  /** 0 = no cap. */
  readonly maxCallSeconds: number;
}

/** Ingress gateway with routing-only fields. */
export interface MappingGatewayPolicy extends MappingGatewayBase {
  /** Sorting step 1: gateways in a `first` group sort before `second`, then the rest. */
  readonly strategy: { readonly first: readonly string[]; readonly second: readonly string[] };
  /** Sort by vendor rate (cheapest first) where the rate parameters place it. */
  readonly leastCostRouting: boolean;
  /** Error-code replacement: end reason (or "sip:<code>") -> SIP code sent to the caller. */
  readonly errorCodes: Readonly<Record<string, number>>;
  readonly minCallSeconds: number;
  readonly maxCallSeconds: number;
}

/** Why a gateway was not offered (one reason, the first that applied). */
export type FilterReason =
  | 'locked'
  | 'group-not-allowed'
  | 'down'
  | 'schedule-deny'
  | 'capacity-full'
  | 'cps-exceeded'
  | 'no-rate'
  | 'max-rate'
  | 'min-profit'
  /** Its prefix is shorter than that of a terminating (prefixStyle) gateway sorted before it. */
  | 'prefix-terminated';

/** The seven sort keys of one candidate, in the order they were applied for this call. */
export interface SortKeys {
  /** 1: 0 = first strategy group, 1 = second, 2 = neither (or no strategy). */
  readonly strategy: number;
  /** 2: digits of the longest prefix this gateway matched (more first). */
  readonly prefixLength: number;
  /** 3: lower first. */
  readonly prefixPriority: number;
  /** 4: lower first. */
  readonly priority: number;
  /** 5: higher first; null = no data or not calculated (sorts after known values). */
  readonly asr: number | null;
  /** 5: vendor rate, 1e-7 units per minute (billing's Money as a number), lower first; null = unknown or unused. */
  readonly rate: number | null;
  /** 6: calls sent to this gateway today (lower first). */
  readonly lineUsage: number;
  /** 7: lower first. */
  readonly id: number;
}

export interface ConsideredGateway {
  readonly gateway: RoutingGatewayPolicy;
  /** The prefix of this gateway that matched (longest). */
  readonly prefix: string;
  readonly keys: SortKeys;
  /** null = offered (see rank). */
  readonly filtered: FilterReason | null;
  /** 0-based position among the offered candidates; -1 when filtered. */
  readonly rank: number;
}

export interface RouteCandidate {
  readonly gateway: RoutingGatewayPolicy;
  readonly prefix: string;
  readonly keys: SortKeys;
  /** Vendor rate used for sorting/limits, or null. */
  readonly vendorRate: number | null;
}

export interface RouteContext {
  readonly mapping: MappingGatewayPolicy;
  /** Callee after the mapping gateway's dial plan. */
  readonly callee: string;
  /** Wall clock (epoch ms) for schedules and today's line usage. */
  readonly nowWall: number;
  /** Monotonic ms for limits and quality windows. */
  readonly nowMono: number;
  /** Vendor rate of a gateway for this callee, integer 1e-7 units per minute (billing's Money as a number), or null. */
  readonly vendorRate?: ((gatewayId: number) => number | null) | undefined;
  /** The customer's rate for this callee (1e-7 units/min), for the minimum-profit check. */
  readonly customerRate?: number | null | undefined;
  /** Local-time offset (minutes east of UTC) for schedules at nowWall; overrides each gateway's. */
  readonly utcOffsetMinutes?: number | undefined;
}

export interface RouteResult {
  /** Offered gateways in the order to try. */
  readonly candidates: readonly RouteCandidate[];
  /** Every gateway whose prefix matched, offered or not, in sort order (explain). */
  readonly considered: readonly ConsideredGateway[];
  /** Names of the sort steps in the order applied (step 5 placement depends on parameters). */
  readonly steps: readonly (keyof SortKeys)[];
  /** Set when candidates is empty. */
  readonly endReason: EndReason | null;
}
