/** Human-readable "where would this call go and why", from a RouteResult (same path as real calls). */
import type { RouteResult } from './types.js';

/** One line per matching gateway in sort order: rank or filter reason, then each step's key. */
export function formatExplain(r: RouteResult): string {
  const lines = [`sort steps: ${r.steps.join(' > ')}`];
  if (r.considered.length === 0) lines.push('no routing gateway prefix matches');
  for (const c of r.considered) {
    const k = c.keys;
    const keys = r.steps.map((s) => `${s}=${k[s] === null ? '-' : k[s]}`).join(' ');
    const head = c.filtered === null ? `#${c.rank + 1}` : `skip(${c.filtered})`;
    lines.push(`${head} ${c.gateway.name} (id ${c.gateway.id}) prefix "${c.prefix}" ${keys}`);
  }
  if (r.endReason) lines.push(`result: ${r.endReason}`);
  return lines.join('\n');
}
