import {
  withMappingDefaults, withRoutingDefaults, type MappingGatewayPolicy, type RoutingGatewayPolicy,
} from '../../src/routing/index.js';

/** A routing gateway with neutral defaults; override what the test is about. */
export function gw(id: number, over: Partial<RoutingGatewayPolicy> = {}): RoutingGatewayPolicy {
  return withRoutingDefaults({
    name: `gw${id}`, id, address: '127.0.0.1', port: 5080 + id, transport: 'udp', localIp: '',
    prefixes: [''], prefixPriority: 0, priority: 0, weight: 1, groups: [], locked: false, capacity: 0, cps: 0,
    calleeRules: [], callerRules: [],
    timeouts: { invite: 0, trying: 0, sessionProgress: 0, sessionProgressSdp: 0, ringing: 0 }, probeSeconds: 0,
    ...over,
  });
}

/** A mapping gateway with neutral defaults. */
export function mgw(over: Partial<MappingGatewayPolicy> = {}): MappingGatewayPolicy {
  return withMappingDefaults({
    name: 'cust', remoteIps: ['127.0.0.1'], account: 'a1', locked: false, capacity: 0, cps: 0,
    allowGroups: [], denyGroups: [], calleeRules: [], callerRules: [],
    ...over,
  });
}
