/** Defaults for the routing-only gateway fields, so config objects can be used as policies. */
import type { MappingGatewayBase, MappingGatewayPolicy, ParamReader, RoutingGatewayBase, RoutingGatewayPolicy } from './types.js';

/** A RoutingGatewayPolicy: g plus defaults (switches follow the parameters, no schedules, no caps). */
export function withRoutingDefaults(g: RoutingGatewayBase & Partial<RoutingGatewayPolicy>): RoutingGatewayPolicy {
  return Object.freeze({
    account: '', switchOnCodes: [], schedules: [], utcOffsetMinutes: 0, maxRate: null, minProfitPercent: null,
    requireRate: false, minCallSeconds: 0, maxCallSeconds: 0, ...g,
  });
}

/** A MappingGatewayPolicy: m plus defaults (no strategy groups, no LCR, no code replacement). */
export function withMappingDefaults(m: MappingGatewayBase & Partial<MappingGatewayPolicy>): MappingGatewayPolicy {
  return Object.freeze({
    strategy: { first: [], second: [] }, leastCostRouting: false, errorCodes: {}, minCallSeconds: 0, maxCallSeconds: 0, ...m,
  });
}

/** Per-phase timeouts (ms) for an attempt on gw: the gateway's own value, else SS_SIP_TIMEOUT_*. */
export interface PhaseTimeouts {
  readonly invite: number;
  readonly trying: number;
  readonly sessionProgress: number;
  readonly sessionProgressSdp: number;
  readonly ringing: number;
}

export function phaseTimeoutsMs(gw: RoutingGatewayPolicy, params: ParamReader): PhaseTimeouts {
  const pick = (own: number, name: string) => Math.round((own > 0 ? own : params.num(name)) * 1000);
  return {
    invite: pick(gw.timeouts.invite, 'SS_SIP_TIMEOUT_INVITE'),
    trying: pick(gw.timeouts.trying, 'SS_SIP_TIMEOUT_TRYING'),
    sessionProgress: pick(gw.timeouts.sessionProgress, 'SS_SIP_TIMEOUT_SESSION_PROGRESS'),
    sessionProgressSdp: pick(gw.timeouts.sessionProgressSdp, 'SS_SIP_TIMEOUT_SESSION_PROGRESS_SDP'),
    ringing: pick(gw.timeouts.ringing, 'SS_SIP_TIMEOUT_RINGING'),
  };
}

/** Longest a call may last (s): the smallest non-zero cap of mapping, gateway, SS_MAX_CALL_DURATION; 0 = none. */
export function maxCallSeconds(mapping: MappingGatewayPolicy, gw: RoutingGatewayPolicy, params: ParamReader): number {
  const caps = [mapping.maxCallSeconds, gw.maxCallSeconds, params.numOrNull('SS_MAX_CALL_DURATION') ?? 0].filter((x) => x > 0);
  return caps.length === 0 ? 0 : Math.min(...caps);
}

/**
 * Short-call threshold (s) of a customer/carrier pair: the larger of the two minCallSeconds. An
 * answered call that talks less is a short call: not an answer for the carrier's ASR.
 */
export function minCallSeconds(mapping: { readonly minCallSeconds?: number }, gw: { readonly minCallSeconds?: number }): number {
  return Math.max(mapping.minCallSeconds ?? 0, gw.minCallSeconds ?? 0);
}
