// Door of the routing room: a pure engine (no I/O). The SIP call code drives it.
export { PrefixTable, MapPrefixTable, createCompilePool, type PrefixEntry, type PrefixMatch, type CompileTask } from './prefix-table.js';
export { compileImage, compileInto, packPrefixes, MAX_VALUES_PER_PREFIX, MAX_PREFIX_DIGITS, MAX_TOP_DIGITS, PREFIX_ALPHABET, type PackedPrefixes, type CompileResult, type CompileOptions, type CompileInfo, type CompileFailure, type ImageRegion } from './trie-image.js';
export { RoutingTable, compileRoutes, sortSteps, scheduleAllows, type RoutingState, type CompiledRoutes } from './routing-table.js';
export { QualityStats, LineUsage, type GatewayQuality } from './quality.js';
export { Limiter, type LimitKind, type LimitVerdict, type Limits } from './limiter.js';
export { GatewayHealth, type HealthChange } from './health.js';
export {
  shouldTryNext, mapFailure, reasonForOutcome, DEFAULT_REASON_CODES,
  type AttemptOutcome, type AttemptPhase, type SwitchDecision, type CallerFailure,
} from './failover.js';
export { admitCall } from './admit.js';
export { paramReader, ROUTING_PARAM_DEFAULTS, sortsBeforeLineUsage } from './params.js';
export { withRoutingDefaults, withMappingDefaults, phaseTimeoutsMs, maxCallSeconds, minCallSeconds, type PhaseTimeouts } from './policy.js';
export { formatExplain } from './explain.js';
export type * from './types.js';
