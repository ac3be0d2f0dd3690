import { METRIC_DEFS, DEFAULT_METRICS_PREFIX } from './catalog.js';

export const DOC_BEGIN = '<!-- metrics-table:begin (generated from src/metrics/catalog.ts; test/metrics/docs.test.ts checks it) -->';
export const DOC_END = '<!-- metrics-table:end -->';

/** The metrics table for docs/metrics.md, one row per catalog entry, in catalog order. */
export function renderMetricsTable(): string {
  const rows = METRIC_DEFS.map((d) => `| \`${d.name}\` | ${d.type} | ${d.labels.length ? d.labels.map((l) => `\`${l}\``).join(', ') : '-'} | ${d.help.replace(/\|/g, '\\|')} | ${d.source} |`);
  return [
    DOC_BEGIN,
    '| metric | type | labels | meaning | source |',
    '|---|---|---|---|---|',
    ...rows,
    `| \`${DEFAULT_METRICS_PREFIX}process_*\`, \`${DEFAULT_METRICS_PREFIX}nodejs_*\` | various | - | prom-client's default process metrics (CPU, memory, GC, handles, event-loop lag). | collectDefaultMetrics |`,
    DOC_END,
  ].join('\n');
}

/** Replaces the generated table inside a docs/metrics.md text (markers kept); null when the markers are missing. */
export function withMetricsTable(doc: string): string | null {
  const a = doc.indexOf(DOC_BEGIN);
  const b = doc.indexOf(DOC_END);
  if (a < 0 || b < a) return null;
  return doc.slice(0, a) + renderMetricsTable() + doc.slice(b + DOC_END.length);
}
