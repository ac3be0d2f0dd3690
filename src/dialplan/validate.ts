/**
 * The rule-set validator behind the admin API and CLI: syntax errors, and warnings for rules
 * that can never win (an empty length condition, or rules of higher priority that together
 * take every number the rule would match).
 */
import { WILD, beats, describeProblem, isProblem, tryParseRule, type DialRule, type ParsedRule } from './parse.js';

export interface RuleIssue {
  readonly index: number;
  readonly message: string;
}

export interface ValidationReport {
  readonly errors: RuleIssue[];
  readonly warnings: RuleIssue[];
}

const label = (p: ParsedRule): string => `rule ${p.index} (${JSON.stringify(p.rule.from)} -> ${JSON.stringify(p.rule.to)})`;

/** Lowest number length the rule can match, and the highest. */
function span(p: ParsedRule): [number, number] {
  return [Math.max(p.minLen, p.prefix.length), p.maxLen];
}

/**
 * The prefix with the given positions masked, or undefined when a `?` there could not cover it:
 * a masked position must hold a digit or `?`, and every `?` of the prefix must be masked.
 */
function masked(prefix: readonly number[], positions: readonly number[]): string | undefined {
  const chars = prefix.map((c) => (c === WILD ? -2 : c));
  for (const i of positions) {
    const c = chars[i]!;
    if (c !== -2 && !(c >= 48 && c <= 57)) return undefined;
    chars[i] = 63; // '?'
  }
  if (chars.includes(-2)) return undefined;
  return String.fromCharCode(...chars);
}

/** True when the union of the intervals holds every integer of [lo, hi]. */
function covered(lo: number, hi: number, ivs: Array<[number, number]>): boolean {
  ivs.sort((x, y) => x[0] - y[0]);
  let cur = lo;
  for (const [a, b] of ivs) {
    if (a > cur) break;
    if (b + 1 > cur) cur = b + 1;
    if (cur > hi) return true;
  }
  return cur > hi;
}

/**
 * Checks a rule set. Errors: syntax (the rule set will not compile). Warnings: a rule that can
 * never match, or that higher-priority rules shadow completely. Numbers may hold any character,
 * so a `?` (digits only) never covers a position the shadowed rule leaves open.
 */
export function validateRules(rules: readonly DialRule[]): ValidationReport {
  const errors: RuleIssue[] = [];
  const warnings: RuleIssue[] = [];
  const parsed: ParsedRule[] = [];
  for (let i = 0; i < rules.length; i++) {
    const r = tryParseRule(rules[i]!, i);
    if (isProblem(r)) errors.push({ index: i, message: describeProblem(r) });
    else parsed.push(r);
  }

  // Only rules with the same prefix length can shadow each other completely: a longer prefix
  // leaves out numbers that differ in its extra characters, a shorter one loses on priority.
  // Prefixes with `?` are grouped by where their `?`s sit; a rule is covered by a group's rule
  // when, with those positions masked, the prefixes are equal (and the masked chars are digits).
  const exact = new Map<string, ParsedRule[]>();
  const wild = new Map<number, Array<{ positions: number[]; map: Map<string, ParsedRule[]> }>>();
  const stars: ParsedRule[] = [];
  const push = <K>(m: Map<K, ParsedRule[]>, k: K, p: ParsedRule): void => {
    const l = m.get(k);
    if (l) l.push(p); else m.set(k, [p]);
  };
  for (const p of parsed) {
    if (p.starAlone) { stars.push(p); continue; }
    const positions = p.prefix.flatMap((c, i) => (c === WILD ? [i] : []));
    if (positions.length === 0) { push(exact, String.fromCharCode(...p.prefix), p); continue; }
    const groups = wild.get(p.prefix.length) ?? [];
    wild.set(p.prefix.length, groups);
    let g = groups.find((x) => x.positions.join() === positions.join());
    if (!g) { g = { positions, map: new Map() }; groups.push(g); }
    push(g.map, masked(p.prefix, positions)!, p);
  }

  for (const p of parsed) {
    const [lo, hi] = span(p);
    if (hi < lo) {
      warnings.push({ index: p.index, message: `${label(p)} can never match: no number length satisfies its prefix and length conditions` });
      continue;
    }
    const rivals: ParsedRule[] = [];
    if (p.starAlone) {
      // the default rule loses to any root rule (prefix length 0, with a length condition) and to an earlier `*`
      rivals.push(...(exact.get('') ?? []), ...stars.filter((s) => s.index < p.index));
    } else {
      if (!p.prefix.includes(WILD)) rivals.push(...(exact.get(String.fromCharCode(...p.prefix)) ?? []));
      for (const g of wild.get(p.prefix.length) ?? []) {
        const key = masked(p.prefix, g.positions);
        if (key !== undefined) rivals.push(...(g.map.get(key) ?? []));
      }
    }
    const winners = rivals.filter((a) => a !== p && beats(a, p));
    const ivs = winners.map(span).filter(([a, b]) => a <= b);
    if (winners.length && covered(lo, hi, ivs)) {
      const by = winners.map((w) => w.index).join(', ');
      warnings.push({ index: p.index, message: `${label(p)} is shadowed completely: rule(s) ${by} win for every number it matches` });
    }
  }
  return { errors, warnings };
}
