/**
 * DialPlan: one compiled rule set, transformed in WASM. Immutable: a reload compiles a new
 * DialPlan and swaps the reference, so a call keeps the results it already got.
 */
import { createError } from '../util/errors.js';
import { DIALPLAN_NO_MATCH, DIALPLAN_UNSUPPORTED, loadDialplanImage, type DialplanWasm } from '../wasm/dialplan.js';
import { buildImage, imageIdentity, rulesHash } from './image.js';
import { WILD, beats, parseRules, type DialRule, type ParsedRule } from './parse.js';
import { ReferencePlan, ruleMatches } from './reference.js';

export interface TransformResult {
  readonly output: string;
  /** Index of the rule that matched; -1 when none did (number unchanged). */
  readonly matched: number;
}

export interface ExplainCandidate {
  readonly index: number;
  readonly rule: DialRule;
  readonly matches: boolean;
  readonly why: string;
}

export interface Explanation {
  readonly output: string;
  readonly matched: number;
  readonly rule?: DialRule;
  readonly candidates: ExplainCandidate[];
}

export interface CompileOptions {
  /** Source of draws in [0, 1) for `;`, ranges and `?` in targets (default Math.random). */
  readonly random?: () => number;
  /** An image built by buildDialPlanImage(rules) elsewhere (a worker), to skip building it here. */
  readonly image?: Uint8Array;
}

/** Rule sets larger than this list only matching rules in explain(). */
export const EXPLAIN_ALL_LIMIT = 1000;
const MAX_RULES = 0xffffff;
const tooManyRules = createError('SSW_ERR_DIALPLAN_TOO_MANY_RULES', 400);
const badImage = createError('SSW_ERR_DIALPLAN_IMAGE', 500);
const disposed = createError('SSW_ERR_DIALPLAN_DISPOSED', 500);

/** The WASM image of a rule set: pure, so a worker can build it and transfer the buffer. */
export function buildDialPlanImage(rules: readonly DialRule[]): Uint8Array {
  return buildImage(parseRules(rules));
}

// An image built elsewhere must be the image of these rules (count and hash in its header).
function imageFits(image: Uint8Array, parsed: readonly ParsedRule[]): boolean {
  const id = imageIdentity(image);
  return id !== undefined && id[0] === parsed.length && id[1] === rulesHash(parsed);
}

// Frees an image whose DialPlan was dropped without dispose().
const finalizer = new FinalizationRegistry<{ wasm: DialplanWasm; handle: number }>((h) => h.wasm.free(h.handle));

export class DialPlan {
  readonly #parsed: readonly ParsedRule[];
  readonly #rules: readonly DialRule[];
  readonly #random: () => number;
  readonly #wasm: DialplanWasm;
  #handle: number;
  #ref: ReferencePlan | undefined;

  private constructor(parsed: ParsedRule[], random: () => number, image: Uint8Array | undefined) {
    this.#parsed = parsed;
    this.#rules = Object.freeze(parsed.map((p) => p.rule));
    this.#random = random;
    if (image && !imageFits(image, parsed)) throw badImage(`dial-plan image does not fit this rule set (${parsed.length} rules)`);
    const { wasm, handle } = loadDialplanImage(image ?? buildImage(parsed));
    this.#wasm = wasm;
    this.#handle = handle;
    finalizer.register(this, { wasm: this.#wasm, handle: this.#handle }, this);
  }

  /** Parses and compiles a rule set; throws SSW_ERR_DIALPLAN_SYNTAX naming the rule, position and expectation. */
  static compile(rules: readonly DialRule[], opts?: CompileOptions): DialPlan {
    if (rules.length > MAX_RULES) throw tooManyRules(`a dial plan holds at most ${MAX_RULES} rules, got ${rules.length}`);
    return new DialPlan(parseRules(rules), opts?.random ?? Math.random, opts?.image);
  }

  /** Number of rules. */
  get size(): number { return this.#rules.length; }

  /** The rules as compiled, in order (rule i is `matched === i`). */
  get rules(): readonly DialRule[] { return this.#rules; }

  /** Rewrites a number with the winning rule; never throws for any input string. */
  transform(number: string): TransformResult {
    if (this.#handle < 0) throw disposed('dial plan used after dispose()');
    const m = this.#wasm.transform(this.#handle, number, this.#random);
    if (m === DIALPLAN_UNSUPPORTED) return this.#reference().transform(number);
    if (m === DIALPLAN_NO_MATCH) return { output: number, matched: -1 };
    return { output: this.#wasm.output, matched: m };
  }

  /** Transforms and says, rule by rule, why each one did or did not win (operator tool). */
  explain(number: string): Explanation {
    const res = this.transform(number);
    const winner = res.matched >= 0 ? this.#parsed[res.matched] : undefined;
    const all = this.#parsed.length <= EXPLAIN_ALL_LIMIT;
    const candidates: ExplainCandidate[] = [];
    for (const p of this.#parsed) {
      const matches = ruleMatches(p, number);
      if (!matches && !all) continue;
      candidates.push({ index: p.index, rule: p.rule, matches, why: whyRule(p, number, matches, winner) });
    }
    return winner
      ? { output: res.output, matched: res.matched, rule: winner.rule, candidates }
      : { output: res.output, matched: res.matched, candidates };
  }

  /** Frees the WASM memory now instead of at garbage collection; the plan is unusable after. */
  dispose(): void {
    if (this.#handle < 0) return;
    finalizer.unregister(this);
    this.#wasm.free(this.#handle);
    this.#handle = -1;
  }

  #reference(): ReferencePlan {
    this.#ref ??= new ReferencePlan(this.#parsed, this.#random);
    return this.#ref;
  }
}

function show(c: number): string {
  return c === WILD ? '?' : String.fromCharCode(c);
}

function lengthText(p: ParsedRule): string {
  const lo = Math.max(p.minLen, p.prefix.length);
  if (p.maxLen === 0xffff) return `at least ${lo}`;
  return lo === p.maxLen ? `exactly ${lo}` : `${lo} to ${p.maxLen}`;
}

function whyRule(p: ParsedRule, number: string, matches: boolean, winner: ParsedRule | undefined): string {
  if (!matches) {
    for (let i = 0; i < p.prefix.length; i++) {
      if (i >= number.length) return `number is shorter than the prefix (${p.prefix.length} characters)`;
      const want = p.prefix[i]!;
      const c = number.charCodeAt(i);
      if (want === WILD && !(c >= 48 && c <= 57)) return `character ${i} is '${number[i]}', \`?\` wants a digit`;
      if (want !== WILD && c !== want) return `character ${i} is '${number[i]}', the prefix wants '${show(want)}'`;
    }
    return `length ${number.length} is not ${lengthText(p)} (length condition)`;
  }
  if (p === winner) {
    if (p.starAlone) return 'wins: default rule `*`, no other rule matches';
    return `wins: longest matching prefix (${p.prefix.length} characters${p.condCount ? `, ${p.condCount} length condition(s)` : ''})`;
  }
  const w = winner!;
  if (p.starAlone) return `matches, but the default rule \`*\` only applies when nothing else does; rule ${w.index} wins`;
  if (w.prefix.length !== p.prefix.length) return `matches, but rule ${w.index} has a longer prefix (${w.prefix.length} > ${p.prefix.length})`;
  if (w.condCount !== p.condCount) return `matches, but rule ${w.index} has the same prefix length and more length conditions`;
  return beats(w, p) ? `matches, but rule ${w.index} has the same priority and comes first` : 'matches';
}

/** The empty rule set: every number comes out unchanged. */
export const IDENTITY: DialPlan = DialPlan.compile([]);
