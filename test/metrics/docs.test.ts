// docs/metrics.md carries the table generated from the catalog, and the registry exports exactly the catalog.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { loadConfig, REPO_ROOT } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { SswMetrics, METRIC_DEFS, DEFAULT_METRICS_PREFIX, withMetricsTable, renderMetricsTable, DOC_BEGIN } from '../../src/metrics/index.js';
import { writeConfig } from '../helpers/switch.js';
import { parsePromText } from './prom-text.js';
import type { CallRecord } from '../../src/call/index.js';

const DOC = `${REPO_ROOT}docs/metrics.md`;
const dir = writeConfig({ ip: '127.0.0.54', customers: [{ name: 'c', ips: ['127.0.0.55'] }], carriers: [{ name: 'gw-1', address: '127.0.0.56', port: 5080 }] });
const sw = new Softswitch(loadConfig(dir, { env: {} }));
const metrics = new SswMetrics(sw);
after(() => {
  metrics.close();
  rmSync(dir, { recursive: true, force: true });
});

test('docs/metrics.md holds the generated table (SSW_WRITE_DOCS=1 rewrites it)', () => {
  const doc = readFileSync(DOC, 'utf8');
  const fresh = withMetricsTable(doc);
  assert.ok(fresh, `${DOC} lost its ${DOC_BEGIN} markers`);
  if (process.env.SSW_WRITE_DOCS === '1' && fresh !== doc) writeFileSync(DOC, fresh);
  else assert.equal(doc, fresh, 'docs/metrics.md is stale: run the metrics docs test with SSW_WRITE_DOCS=1');
  for (const d of METRIC_DEFS) assert.ok(renderMetricsTable().includes(`| \`${d.name}\` | ${d.type} |`), d.name);
});

test('the registry exports every catalog metric with its type and help, and no ssw_ metric outside it', async () => {
  const scrape = parsePromText(await metrics.text());
  for (const d of METRIC_DEFS) {
    assert.equal(scrape.types.get(d.name), d.type, d.name);
    assert.equal(scrape.help.get(d.name), d.help, d.name);
  }
  const ours = new Set(METRIC_DEFS.map((d) => d.name));
  const stray = [...scrape.types.keys()].filter((n) => !ours.has(n) && !n.startsWith(`${DEFAULT_METRICS_PREFIX}process_`) && !n.startsWith(`${DEFAULT_METRICS_PREFIX}nodejs_`));
  assert.deepEqual(stray, []);
  for (const n of scrape.types.keys()) assert.match(n, /^ssw_[a-z0-9]+_[a-z0-9_]+$/, `${n} follows ssw_<subsystem>_<name>`);
  for (const d of METRIC_DEFS) if (d.type === 'counter') assert.match(d.name, /_total$/, d.name);
  // A configured carrier has zero series from the start.
  assert.equal(scrape.get('ssw_gateway_attempts_total', { routing_gateway: 'gw-1' }), 0);
});

test('mirrored counters only go up and move by the switch counter deltas', async () => {
  const a = parsePromText(await metrics.text());
  sw.counters.parseErrors += 3;
  sw.tx.counters.requestsIn.set('INVITE', (sw.tx.counters.requestsIn.get('INVITE') ?? 0) + 2);
  sw.tx.counters.requestsIn.set('FOO', 5);
  sw.tx.counters.responsesOut.set(503, 4);
  const b = parsePromText(await metrics.text());
  assert.equal(b.sum('ssw_sip_parse_errors_total') - a.sum('ssw_sip_parse_errors_total'), 3);
  assert.equal(b.get('ssw_sip_requests_total', { direction: 'in', method: 'INVITE' }), 2);
  assert.equal(b.get('ssw_sip_requests_total', { direction: 'in', method: 'OTHER' }), 5, 'unknown methods fold into OTHER');
  assert.equal(b.get('ssw_sip_responses_total', { direction: 'out', status_class: '5xx' }), 4);
  const c = parsePromText(await metrics.text());
  assert.equal(c.get('ssw_sip_requests_total', { direction: 'in', method: 'INVITE' }), 2, 'a second scrape adds nothing');
});

test('text() yields between metrics but writes the same bytes as prom-client', async () => {
  const quiet = new SswMetrics(sw, { processMetrics: false });
  try {
    assert.equal(await quiet.text(), await quiet.registry.metrics());
  } finally {
    quiet.close();
  }
});

test('billing refusals are labelled by the bounded refusal reason; free text counts as other', async () => {
  const a = parsePromText(await metrics.text());
  const refused = (text: string) => ({ flowNo: 'x', ingress: { name: 'c' }, attempts: [], answerWall: 0, endReason: 'refused', endReasonText: text }) as unknown as CallRecord;
  for (const l of sw.onCallEnded) {
    l(refused('Insufficient balance'));
    l(refused('Insufficient balance'));
    l(refused('caller 4471234 is on a list'));
  }
  const b = parsePromText(await metrics.text());
  const d = (reason: string) => (b.get('ssw_billing_refusals_total', { reason }) ?? 0) - (a.get('ssw_billing_refusals_total', { reason }) ?? 0);
  assert.equal(d('Insufficient balance'), 2);
  assert.equal(d('other'), 1);
  assert.equal(b.sum('ssw_call_ended_total', { mapping_gateway: 'c', end_reason: 'refused', answered: 'false' }) - a.sum('ssw_call_ended_total', { mapping_gateway: 'c', end_reason: 'refused', answered: 'false' }), 3);
});
