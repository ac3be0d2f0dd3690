/**
 * The dial-plan semantics in plain TypeScript: the oracle for the WASM engine's property tests
 * and the baseline of its benchmark. It is what a careful TS engineer would write without WASM:
 * a Map from exact prefix to its rules, probed from the longest prefix down; prefixes with `?`
 * are grouped by where their `?`s sit, and probed with those positions masked out.
 */
import { WILD, beats, parseRules, type DialRule, type ParsedRule, type TargetAlt } from './parse.js';

// Stands for a `?` in wildcard keys; rules are ASCII, so no literal prefix character equals it.
const MASK = '\u0100';

interface WildGroup {
  readonly positions: readonly number[];
  readonly map: Map<string, ParsedRule[]>;
}

export interface RefResult {
  readonly output: string;
  readonly matched: number;
}

/** Maps a draw in [0, 1) to 0..n-1; out-of-range draws (a broken source) are clamped. */
export function pick(r: number, n: number): number {
  const x = Math.floor(r * n);
  if (!(x >= 0)) return 0;
  return x >= n ? n - 1 : x;
}

/** True when the rule's prefix and length condition accept the number (ignores priority). */
export function ruleMatches(p: ParsedRule, number: string): boolean {
  if (p.starAlone) return true;
  const len = number.length;
  if (len < p.prefix.length || len < p.minLen || len > p.maxLen) return false;
  for (let i = 0; i < p.prefix.length; i++) {
    const want = p.prefix[i]!;
    const c = number.charCodeAt(i);
    if (want === WILD ? !(c >= 48 && c <= 57) : c !== want) return false;
  }
  return true;
}

function runAlt(alt: TargetAlt, number: string, from: number, random: () => number): string {
  if (alt.kind === 'range') {
    return String(alt.lo + pick(random(), alt.hi - alt.lo + 1)).padStart(alt.width, '0');
  }
  let out = '';
  for (const op of alt.ops) {
    switch (op.k) {
      case 'lit': out += op.s; break;
      case 'rand': out += String.fromCharCode(48 + pick(random(), 10)); break;
      case 'dollar': if (op.pos < number.length) out += number[op.pos]; break;
      case 'rest': out += number.slice(from); break;
    }
  }
  return out;
}

/**
 * Rewrites a number with a rule that matched it. Draws from `random` in a fixed order: the
 * alternative (when there are several), then one per `?` or range, left to right.
 */
export function rewrite(p: ParsedRule, number: string, random: () => number): string {
  const alt = p.alts.length > 1 ? p.alts[pick(random(), p.alts.length)]! : p.alts[0]!;
  const from = p.prefix.length;
  const out = runAlt(alt, number, from, random);
  return p.appendRest ? out + number.slice(from) : out;
}

/** The first l characters with the `?` positions masked, or undefined if one of them is not a digit. */
function maskedKey(number: string, l: number, positions: readonly number[]): string | undefined {
  let key = '';
  let from = 0;
  for (const i of positions) {
    const c = number.charCodeAt(i);
    if (!(c >= 48 && c <= 57)) return undefined;
    key += number.slice(from, i) + MASK;
    from = i + 1;
  }
  return key + number.slice(from, l);
}

export class ReferencePlan {
  readonly #exact = new Map<string, ParsedRule[]>();
  readonly #wild: WildGroup[][] = [];
  readonly #default: ParsedRule | undefined;
  readonly #maxPrefix: number;
  readonly #random: () => number;

  /** Parses and indexes a rule set (same errors as DialPlan.compile). */
  static compile(rules: readonly DialRule[], opts?: { random?: () => number }): ReferencePlan {
    return new ReferencePlan(parseRules(rules), opts?.random);
  }

  constructor(rules: readonly ParsedRule[], random: () => number = Math.random) {
    this.#random = random;
    let max = 0;
    let def: ParsedRule | undefined;
    for (const p of rules) {
      if (p.starAlone) { if (!def) def = p; continue; }
      max = Math.max(max, p.prefix.length);
      if (p.prefix.includes(WILD)) {
        const positions = p.prefix.flatMap((c, i) => (c === WILD ? [i] : []));
        const groups = (this.#wild[p.prefix.length] ??= []);
        let g = groups.find((x) => x.positions.join() === positions.join());
        if (!g) { g = { positions, map: new Map() }; groups.push(g); }
        const key = p.prefix.map((c) => (c === WILD ? MASK : String.fromCharCode(c))).join('');
        const list = g.map.get(key);
        if (list) list.push(p); else g.map.set(key, [p]);
      } else {
        const key = String.fromCharCode(...p.prefix);
        const list = this.#exact.get(key);
        if (list) list.push(p); else this.#exact.set(key, [p]);
      }
    }
    const order = (a: ParsedRule, b: ParsedRule): number => (beats(a, b) ? -1 : 1);
    for (const l of this.#exact.values()) l.sort(order);
    for (const gs of this.#wild) for (const g of gs ?? []) for (const l of g.map.values()) l.sort(order);
    this.#default = def;
    this.#maxPrefix = max;
  }

  /** The rule that wins for this number, or undefined (number unchanged). */
  match(number: string): ParsedRule | undefined {
    const len = number.length;
    for (let l = Math.min(len, this.#maxPrefix); l >= 0; l--) {
      let best: ParsedRule | undefined;
      const exact = this.#exact.get(l === len ? number : number.slice(0, l));
      if (exact) {
        for (const p of exact) if (len >= p.minLen && len <= p.maxLen) { best = p; break; }
      }
      const groups = this.#wild[l];
      if (groups) {
        for (const g of groups) {
          const key = maskedKey(number, l, g.positions);
          const list = key === undefined ? undefined : g.map.get(key);
          if (!list) continue;
          for (const p of list) {
            if (len < p.minLen || len > p.maxLen) continue;
            if (!best || beats(p, best)) best = p;
            break;
          }
        }
      }
      if (best) return best;
    }
    return this.#default;
  }

  /** Applies the winning rule; `matched` is its index, -1 when none matched. */
  transform(number: string): RefResult {
    const p = this.match(number);
    if (!p) return { output: number, matched: -1 };
    return { output: rewrite(p, number, this.#random), matched: p.index };
  }
}
