/** The call room: the B2BUA and the seams other parts plug into. */
export { B2bua, type CallCounters } from './b2bua.js';
export { Call, CallState, Leg } from './call.js';
export { StaticPolicy } from './static-policy.js';
export { NetworkPolicy, PolicyRuntime, toCdr, END_REASON_TEXT, type NetworkPolicyDeps, type PolicyParts } from './network-policy.js';
export { routingPolicyOf, mappingPolicyOf } from './gateway-policy.js';
export { EndDirection, type CallPolicy, type CallRecord, type EndReason, type Attempt, type AttemptOutcome, type Authorization, type RouteCandidate, type NumberForms } from './types.js';
export { GatewayProber } from './prober.js';
