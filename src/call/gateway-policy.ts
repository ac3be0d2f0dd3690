/**
 * Config gateways (network.yaml / admin API shape) to the routing engine's policy form: schedule
 * times in minutes, weekday names as numbers, money as integer 1e-7 units, error codes as one table.
 */
import type { MappingGateway, RoutingGateway, ScheduleConfig } from '../config/types.js';
import { WEEKDAYS } from '../config/index.js';
import { money } from '../billing/index.js';
import { withMappingDefaults, withRoutingDefaults, type MappingGatewayPolicy, type RoutingGatewayPolicy, type ScheduleRule } from '../routing/index.js';

/** The routing engine's view of a configured carrier. */
export function routingPolicyOf(g: RoutingGateway): RoutingGatewayPolicy {
  const { maxRate, minProfitPercent, schedules, ...rest } = g;
  return withRoutingDefaults({
    ...rest,
    // Money is at most 1e6 per minute = 1e13 units: exact as a JS number.
    maxRate: maxRate === undefined || maxRate === '' ? null : Number(money(maxRate)),
    minProfitPercent: minProfitPercent ?? null,
    schedules: (schedules ?? []).map(scheduleRuleOf),
  });
}

/** The routing engine's view of a configured customer: errorCodes and carrierCodes in one table. */
export function mappingPolicyOf(m: MappingGateway): MappingGatewayPolicy {
  const { errorCodes, carrierCodes, ...rest } = m;
  const table: Record<string, number> = {};
  for (const [reason, code] of Object.entries(errorCodes ?? {})) if (code > 0) table[reason] = code;
  for (const c of carrierCodes ?? []) table[`sip:${c.code}`] = c.send;
  return withMappingDefaults({ ...rest, errorCodes: Object.freeze(table) });
}

export function scheduleRuleOf(s: ScheduleConfig): ScheduleRule {
  return {
    mode: s.mode,
    prefixes: s.prefixes,
    weekdays: s.weekdays.map((d) => WEEKDAYS.indexOf(d)), // the schema lists them Sunday = 0, as Date#getDay
    fromMinute: minuteOf(s.from),
    toMinute: minuteOf(s.to),
  };
}

function minuteOf(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}
