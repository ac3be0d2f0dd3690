// The dial-plan room's door: VOS3000 number transformation (docs/dialplan.md).
export { DialPlan, IDENTITY, EXPLAIN_ALL_LIMIT } from './dial-plan.js';
export type { TransformResult, Explanation, ExplainCandidate, CompileOptions } from './dial-plan.js';
export { validateRules } from './validate.js';
export type { RuleIssue, ValidationReport } from './validate.js';
export { parseRuleText, parseRulesText, SSW_ERR_DIALPLAN_SYNTAX } from './parse.js';
export type { DialRule } from './parse.js';
export { ReferencePlan } from './reference.js';
export { seededRandom } from './random.js';
export { buildDialPlanImage } from './dial-plan.js';
