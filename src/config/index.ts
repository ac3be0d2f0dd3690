/**
 * The config room's door. Load once at start with loadConfig(); a live change re-reads one file
 * with the same checks (loadParams, loadServer, validateNetwork, ParamSet.with) and produces new
 * frozen objects (calls in progress keep the ones they started with). The parameters in force
 * at run time are the switch's (src/live-config.ts), not LoadedConfig.paramSet.
 */
export type * from './types.js';
export {
  PARAM_DEFS,
  ParamSet,
  findParam,
  parseParam,
  formatParam,
  appliesOf,
  allowed as describeParamRange,
  type ParamDef,
  type ParamType,
  type ParamArea,
} from './params.js';
export {
  loadConfig,
  loadParams,
  loadServer,
  readParams,
  type ParamsFile,
  validateNetwork,
  validateServer,
  validateEntity,
  readNetworkRaw,
  configInvalid,
  NETWORK_LISTS,
  type NetworkEntityKind,
  deepFreeze,
  describeField,
  ENV_OVERRIDES,
  NETWORK_RULES,
  REPO_ROOT,
  type LoadOptions,
  type EnvOverride,
} from './load.js';
export { LOG_LEVELS, WEEKDAYS, SERVER_SPEC, NETWORK_SPEC, PARAMS_SPEC_DOC, describeType, type FieldSpec, type FieldType, type FileSpec } from './schema.js';
