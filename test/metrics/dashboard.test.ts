// Every PromQL query in the Grafana dashboard names only metrics the switch exports; the scrape example is sane.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfig, REPO_ROOT } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { SswMetrics } from '../../src/metrics/index.js';
import { writeConfig } from '../helpers/switch.js';

const dashboard = JSON.parse(readFileSync(`${REPO_ROOT}docs/grafana/ssw-dashboard.json`, 'utf8'));
const dir = writeConfig({ ip: '127.0.0.57', customers: [], carriers: [] });
const metrics = new SswMetrics(new Softswitch(loadConfig(dir, { env: {} })));
after(() => {
  metrics.close();
  rmSync(dir, { recursive: true, force: true });
});

const FUNCTIONS_AND_KEYWORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'histogram_quantile', 'clamp_min', 'clamp_max', 'abs', 'label_values',
  'avg_over_time', 'max_over_time', 'min_over_time', 'sum_over_time', 'deriv', 'predict_linear', 'time', 'vector', 'scalar',
]);

/** Metric names a PromQL expression selects: identifiers outside label matchers, grouping clauses and ranges. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // string literals (label values)
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery selectors
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // grouping label lists
  const out: string[] = [];
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    if (FUNCTIONS_AND_KEYWORDS.has(m[0])) continue;
    if (/^\d/.test(m[0])) continue;
    out.push(m[0]);
  }
  return out;
}

function queries(): string[] {
  const out: string[] = [];
  const walk = (panels: any[]) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (t.expr) out.push(t.expr);
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating?.list ?? []) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (v.type === 'query' && q) out.push(q);
  }
  return out;
}

test('the extractor finds metric names and skips functions, labels, ranges and grouping', () => {
  assert.deepEqual(metricNames('histogram_quantile(0.9, sum by (routing_gateway, le) (rate(ssw_gateway_pdd_seconds_bucket{instance=~"$instance", code="sum"}[5m])))'), ['ssw_gateway_pdd_seconds_bucket']);
  assert.deepEqual(metricNames('sum(rate(a_total[1m])) / clamp_min(sum(rate(b_total[$__rate_interval])), 1)'), ['a_total', 'b_total']);
  assert.deepEqual(metricNames('label_values(ssw_call_active, instance)'), ['ssw_call_active', 'instance']);
});

test('every dashboard query names only metrics the switch exports', async () => {
  const families = new Map(metrics.registry.getMetricsAsArray().map((m) => [m.name, (m as unknown as { type: string }).type]));
  const exported = (name: string): boolean => {
    if (families.has(name)) return true;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && families.get(base) === 'histogram';
  };
  const qs = queries();
  assert.ok(qs.length >= 25, `the dashboard has its queries (${qs.length})`);
  const unknown: string[] = [];
  for (const q of qs) {
    // label_values(metric, label): the second argument is a label name.
    const names = q.startsWith('label_values(') ? metricNames(q).slice(0, 1) : metricNames(q);
    assert.ok(names.length > 0, `no metric in ${q}`);
    for (const n of names) if (!exported(n)) unknown.push(`${n} in ${q}`);
  }
  assert.deepEqual(unknown, []);
  assert.equal(exported('ssw_gateway_no_such_metric_total'), false, 'the check can fail');
});

test('the dashboard covers traffic, carrier quality, failures, latency, CDR pipeline and process health', () => {
  const rows = dashboard.panels.filter((p: any) => p.type === 'row').map((p: any) => p.title);
  assert.deepEqual(rows, ['Traffic', 'Carrier quality (ASR / ACD / PDD)', 'Failures', 'SIP and latency', 'CDR pipeline', 'Process health']);
  const ids = dashboard.panels.map((p: any) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
});

test('the Prometheus scrape example scrapes /metrics on the admin port with a bearer token', () => {
  const cfg = parse(readFileSync(`${REPO_ROOT}docs/grafana/prometheus-scrape.yml`, 'utf8'));
  const job = cfg.scrape_configs[0];
  assert.equal(job.metrics_path, '/metrics');
  assert.equal(job.authorization.type, 'Bearer');
  assert.deepEqual(job.static_configs[0].targets, ['127.0.0.1:8080']);
});
