/** Defaults for the routing-only gateway fields, so config objects can be used as policies. */
import type { MappingGateway, RoutingGateway } from '../config/types.js';
import type { MappingGatewayPolicy, RoutingGatewayPolicy } from './types.js';

/** A RoutingGatewayPolicy: g plus defaults (switches follow the parameters, no schedules, no caps). */
export function withRoutingDefaults(g: RoutingGateway & Partial<RoutingGatewayPolicy>): RoutingGatewayPolicy {
  return Object.freeze({
    switchOnCodes: [], schedules: [], utcOffsetMinutes: 0, maxRate: null, minProfitPercent: null,
    requireRate: false, minCallSeconds: 0, maxCallSeconds: 0, ...g,
  });
}

/** A MappingGatewayPolicy: m plus defaults (no strategy groups, no LCR, no code replacement). */
export function withMappingDefaults(m: MappingGateway & Partial<MappingGatewayPolicy>): MappingGatewayPolicy {
  return Object.freeze({
    strategy: { first: [], second: [] }, leastCostRouting: false, errorCodes: {}, minCallSeconds: 0, maxCallSeconds: 0, ...m,
  });
}
