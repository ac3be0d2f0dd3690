// The report folder: README.md (the summary a capacity planner reads), results.json (every hold),
// failure-rate.svg and latency.svg; and the self-check that refuses an incomplete report.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type HoldResult, type SearchResult } from './hold.js';
import { type StoreCheck } from './env.js';
import { type Spread, fmtSpread, spread } from './stats.js';
import { lineChart } from './svg.js';

export interface Machine { cores: number; cpu: string; memGiB: number; node: string; kernel: string; sipp: string }

export interface LatencyPoint {
  readonly share: number;
  readonly rate: number;
  readonly hold: HoldResult;
  readonly inviteP50: number; readonly inviteP90: number; readonly inviteP99: number;
  readonly tryingP50: number; readonly tryingP90: number;
  readonly matched: number; readonly invitesIn: number;
}

export interface HeldPoint { readonly target: number; readonly held: number; readonly rssMb: number; readonly idleRssMb: number; readonly perCallKiB: number; readonly failed: number; readonly note: string }

export interface CpuPoint { readonly rate: number; readonly pinned: boolean; readonly perCall: Spread; readonly holds: HoldResult[] }

export interface Results {
  readonly quick: boolean;
  readonly started: string;
  readonly finishedS: number;
  readonly command: string;
  readonly machine: Machine;
  readonly method: Record<string, string | number>;
  readonly searches: SearchResult[];
  readonly max: Spread;
  readonly cleanMax: Spread;
  readonly baseline: SearchResult | null;
  readonly stores: StoreCheck[];
  /** V8's heap limit for a Node process with default flags on this machine. */
  readonly heapLimitMb: number;
  readonly cpu: CpuPoint[];
  readonly latency: LatencyPoint[];
  readonly held: HeldPoint[];
  readonly idleRssMb: Spread;
  readonly loadRssMb: Spread;
  readonly quietBefore: number[];
  readonly notes: string[];
}

export const SECTIONS = ['## Machine', '## Configuration', '## Capacity table', '## Maximum sustained CPS', '## Switch CPU per call',
  '## CDRs and billing', '## Latency', '## Concurrent calls and memory', '## Memory (RSS)', '## Baseline: SIPp against SIPp', '## Every hold', '## Charts', '## Noise and caveats'];

const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : 'n/a');
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');

function holdRow(h: HoldResult, search: string): string {
  const failPct = h.calls ? (100 * Math.max(0, h.failed)) / h.calls : 0;
  return `| ${search} | ${h.kind} | ${h.rate} | ${h.pass ? 'pass' : '**fail**'} | ${h.successful} | ${h.failed} (${failPct.toFixed(2)} %) | ${h.retransmissions} | ${f0(h.achievedCps)} | ${h.kind.startsWith('direct') ? '-' : f3(h.switchCpuMsPerCall)} | ${f0(h.rtdP50)} / ${f0(h.rtdP90)} | ${f2(h.foreignCores)}${h.noisy ? ' (noisy)' : ''} |`;
}

/** One point per x: the median of the y values measured at it (repeated holds at one rate). */
function medianByRate(points: ReadonlyArray<readonly [number, number]>): Array<readonly [number, number]> {
  const by = new Map<number, number[]>();
  for (const [x, y] of points) by.set(x, [...(by.get(x) ?? []), y]);
  return [...by].map(([x, ys]) => [x, spread(ys).median] as const);
}

/** Writes the report folder and returns the path of its README.md. */
export function writeReport(dir: string, r: Results): string {
  mkdirSync(dir, { recursive: true });
  const m = r.machine;
  const perCore = { median: r.max.median / m.cores, min: r.max.min / m.cores, max: r.max.max / m.cores, n: r.max.n };
  const pinned = r.cpu.filter((c) => c.pinned);
  const pinnedBest = pinned.length ? spread(pinned.map((c) => c.perCall.median)) : null;
  const cpuBoundPerCore = pinnedBest && pinnedBest.median > 0 ? 1000 / pinnedBest.median : NaN;
  const heldBest = r.held.filter((h) => h.failed === 0).sort((a, b) => b.held - a.held)[0] ?? r.held[0];
  const perCallKiB = heldBest?.perCallKiB ?? NaN;
  // One Node process cannot use more than V8's heap limit, whatever the RAM: the estimate is the lower of the two.
  const boundMb = Math.min(m.memGiB * 1024 * 0.5, r.heapLimitMb);
  const ramBound = perCallKiB > 0 ? Math.floor((boundMb * 1024) / perCallKiB) : NaN;
  const baseMax = r.baseline?.max ?? 0;
  const L: string[] = [];
  L.push(`# Capacity report${r.quick ? ' (quick smoke run: short holds, NOT capacity figures)' : ''}`, '');
  L.push(`Started ${r.started}, took ${f0(r.finishedS)} s. Command: \`${r.command}\`.`, '');
  L.push('Read this first: every figure is measured on this machine with SIPp sharing the cores with the switch, on loopback.',
    'Each figure is the median of repeated runs with the range (min-max) and the number of runs n. The most reproducible',
    'figure on a shared machine is the switch CPU per call; the maximum CPS moves with whatever else the machine is doing.', '');
  L.push('## Machine', '', '| | |', '|---|---|',
    `| CPU | ${m.cpu} |`, `| cores | ${m.cores} |`, `| memory | ${m.memGiB.toFixed(1)} GiB |`, `| Node.js | ${m.node} |`, `| kernel | ${m.kernel} |`, `| load generator | ${m.sipp} |`, '');
  L.push('## Configuration', '');
  L.push('Switch: `bench/config/` (the example network with full processing on): the customer\'s dial plan strips `00` before',
    'rating; a prepaid account rated from `bench/config/rates/bench.csv` (balance checked, a maximum duration computed);',
    'three carriers: `carrier-busy` answers 503 to the 4420 range (10 % of calls), which fail over to `carrier-a`',
    '(longest prefix, then priority); `carrier-a` gets a tech prefix and caller rewrite from its dial plan; `carrier-b` is second',
    'choice. CDRs are written to the embedded store (a fresh SQLite file per switch process). UDP on 127.0.0.1:5060.', '');
  L.push('Load: SIPp `bench/sipp/uac_bench.xml` (the reference `uac_rr.xml`, callee from an injection file) with a',
    `${r.method['call hold ms']} ms call hold; carriers SIPp \`uas_rr.xml\` x2 and \`bench/sipp/uas_503.xml\`.`, '');
  L.push('| method | value |', '|---|---|');
  for (const [k, v] of Object.entries(r.method)) L.push(`| ${k} | ${v} |`);
  L.push('');
  L.push('## Capacity table', '',
    'In the format of the reference softswitch\'s published table (signalling only: media not proxied in this run, so the',
    'G.711/G.729 columns of the reference, which are media-bound, have no counterpart here).', '',
    '| cores / RAM | concurrent calls | CPS (max sustained) | CPS per core |', '|---|---|---|---|',
    `| ${m.cores} / ${m.memGiB.toFixed(0)} GB (this machine, SIPp on the same cores) | ${heldBest ? `${heldBest.held} held and measured; ~${f0(ramBound)} estimated by memory (${f0(boundMb)} MB = min(half the RAM, V8 heap limit) at ${f2(perCallKiB)} KiB/call)` : 'n/a'} | ${fmtSpread(r.max, 0)} | ${fmtSpread(perCore, 0)} measured / ${f0(cpuBoundPerCore)} CPU-bound (1 core, pinned) |`, '',
    `Clean maximum (highest passing rate with zero retransmissions): ${fmtSpread(r.cleanMax, 0)} CPS.`,
    `Against the load generator's own ceiling on this machine (SIPp -> SIPp, same method): ${baseMax ? `${baseMax} CPS${r.baseline!.firstFail === Infinity ? ' (its cap was reached, so this is a floor)' : ''}; the switch reaches ${(100 * r.max.median / baseMax).toFixed(0)} % of it` : 'n/a'}.`, '');
  L.push('## Maximum sustained CPS', '',
    'Each search: a fresh switch, holds doubling from the start rate until one fails, then bisection to within the margin.',
    'A hold passes when every call was placed, fewer than 0.1 % failed, and the achieved rate is at least 97 % of the target.', '',
    '| search | max CPS | clean max CPS | lowest failing CPS | holds |', '|---|---|---|---|---|');
  r.searches.forEach((s, i) => L.push(`| ${i + 1} | ${s.max} | ${s.cleanMax} | ${s.firstFail === Infinity ? 'none (cap reached)' : s.firstFail} | ${s.holds.length} |`));
  L.push('', `Median over searches: **${fmtSpread(r.max, 0)} CPS**; clean maximum ${fmtSpread(r.cleanMax, 0)} CPS.`, '');
  L.push('## CDRs and billing', '',
    'After each switch process stopped (SIGTERM, which flushes the CDR journal), its store was opened: one CDR per call',
    'SIPp started (INVITE sent, SIPp\'s TotalCallCreated) is expected, and the prepaid account (opening balance 100,000,000.00, in minor units below) must have been debited.', '',
    '| switch process | calls started | CDRs in store | bench account balance (minor units) |', '|---|---|---|---|');
  r.stores.forEach((c, i) => L.push(`| ${i + 1} | ${c.placed} | ${c.cdrs}${c.cdrs === c.placed ? '' : ' (differs)'} | ${c.balanceMinor} |`));
  L.push('');
  L.push('## Switch CPU per call', '',
    'User + system CPU of the switch process (from /proc) during a hold divided by the calls placed, at fixed rates below',
    'the maximum. "pinned": the switch on CPU 0 (`taskset -a -p -c 0`), every SIPp on CPU 1, so a single-threaded switch',
    'and a multi-process one are compared on the same footing. Kamailio 5.6 measured the same way on this machine: 0.8-1.4 ms.', '',
    '| offered CPS | pinned | switch CPU ms per call | holds |', '|---|---|---|---|');
  for (const c of r.cpu) L.push(`| ${c.rate} | ${c.pinned ? 'yes' : 'no'} | ${fmtSpread(c.perCall, 3)} | ${c.holds.length} (${c.holds.filter((h) => h.pass).length} passed) |`);
  L.push('');
  L.push('## Latency', '',
    'Measured on the wire: dumpcap on `lo` captures every INVITE and 100 Trying on the bench ports; the switch\'s delay is',
    'the time from the INVITE arriving on 5060 to the first INVITE leaving for a carrier (matched by the callee\'s unique',
    'tail, which both dial plans keep), and to the 100 Trying sent back (matched by Call-ID). It includes the kernel\'s',
    'loopback hop, not SIPp. SIPp\'s own INVITE -> 200 time (rtd, 1 ms resolution) is in the table of holds.', '',
    '| share of max | offered CPS | INVITE in->out p50 / p90 / p99 ms | 100 Trying p50 / p90 ms | calls matched | hold |', '|---|---|---|---|---|---|');
  for (const p of r.latency) L.push(`| ${(p.share * 100).toFixed(0)} % | ${p.rate} | ${f3(p.inviteP50)} / ${f3(p.inviteP90)} / ${f3(p.inviteP99)} | ${f3(p.tryingP50)} / ${f3(p.tryingP90)} | ${p.matched} of ${p.invitesIn} | ${p.hold.pass ? 'pass' : 'fail'} |`);
  L.push('');
  L.push('## Concurrent calls and memory', '',
    'Calls placed with a long hold so that N are up at once; the switch RSS is read when all N are held. Memory per call =',
    '(RSS held - RSS idle) / N, including the V8 heap growth the calls cause.', '',
    '| target N | held | failed | RSS idle MB | RSS with N held MB | KiB per call | note |', '|---|---|---|---|---|---|---|');
  for (const h of r.held) L.push(`| ${h.target} | ${h.held} | ${h.failed} | ${f0(h.idleRssMb)} | ${f0(h.rssMb)} | ${f2(h.perCallKiB)} | ${h.note} |`);
  L.push('');
  L.push('## Memory (RSS)', '', `Idle (after start, no calls): ${fmtSpread(r.idleRssMb, 0)} MB. Peak under load (CPS holds): ${fmtSpread(r.loadRssMb, 0)} MB.`, '');
  L.push('## Baseline: SIPp against SIPp', '');
  if (r.baseline) {
    L.push('The same caller and callee scenarios, the same hold and pass rule, with no switch between them: the ceiling of the',
      'load generator on this machine. Figures from different machines compare as fractions of it.', '',
      `SIPp -> SIPp maximum: ${r.baseline.max} CPS${r.baseline.firstFail === Infinity ? ' (cap reached: a floor)' : `, first failure at ${r.baseline.firstFail} CPS`}; switch/baseline = ${baseMax ? (r.max.median / baseMax).toFixed(3) : 'n/a'}.`, '');
  } else L.push('Not measured in this run (--no-baseline).', '');
  L.push('## Every hold', '', '| search | kind | offered CPS | result | successful | failed | retrans | achieved CPS | switch CPU ms/call | SIPp rtd p50 / p90 ms | foreign cores |', '|---|---|---|---|---|---|---|---|---|---|---|');
  r.searches.forEach((s, i) => s.holds.forEach((h) => L.push(holdRow(h, String(i + 1)))));
  r.baseline?.holds.forEach((h) => L.push(holdRow(h, 'baseline')));
  for (const c of r.cpu) for (const h of c.holds) L.push(holdRow(h, 'cpu'));
  for (const p of r.latency) L.push(holdRow(p.hold, 'latency'));
  L.push('');
  // Charts: failure rate and latency against offered CPS.
  const fr = (hs: HoldResult[]) => hs.map((h) => [h.rate, (100 * Math.max(0, h.failed)) / Math.max(1, h.calls)] as const);
  const colors = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];
  writeFileSync(join(dir, 'failure-rate.svg'), lineChart('Failed calls against offered CPS', 'offered CPS', 'failed calls (%)', [
    ...r.searches.map((s, i) => ({ name: `switch, search ${i + 1}`, color: colors[i % colors.length]!, points: fr(s.holds) })),
    ...(r.baseline ? [{ name: 'SIPp -> SIPp (baseline)', color: '#d62728', points: fr(r.baseline.holds) }] : []),
  ]));
  const allSwitch = r.searches.flatMap((s) => s.holds).concat(r.cpu.filter((c) => !c.pinned).flatMap((c) => c.holds));
  writeFileSync(join(dir, 'latency.svg'), lineChart('Latency against offered CPS', 'offered CPS', 'ms', [
    { name: 'switch INVITE in->out p50 (wire)', color: '#1f77b4', points: r.latency.map((p) => [p.rate, p.inviteP50] as const) },
    { name: 'switch INVITE in->out p90 (wire)', color: '#ff7f0e', points: r.latency.map((p) => [p.rate, p.inviteP90] as const) },
    { name: '100 Trying p90 (wire)', color: '#2ca02c', points: r.latency.map((p) => [p.rate, p.tryingP90] as const) },
    { name: 'SIPp INVITE->200 p90 through the switch (median per rate)', color: '#9467bd', points: medianByRate(allSwitch.filter((h) => Number.isFinite(h.rtdP90)).map((h) => [h.rate, h.rtdP90] as const)) },
  ]));
  L.push('## Charts', '', '![failed calls against offered CPS](failure-rate.svg)', '', '![latency against offered CPS](latency.svg)', '');
  L.push('## Noise and caveats', '',
    `Before each run the runner waited for the machine to be quiet; busy cores seen just before each run: ${r.quietBefore.map((v) => v.toFixed(2)).join(', ') || 'n/a'}.`,
    'A hold where other processes used more than the noise threshold is repeated and, if still noisy, kept and flagged in the table above.', '');
  for (const n of r.notes) L.push(`- ${n}`);
  L.push('');
  const file = join(dir, 'README.md');
  writeFileSync(file, L.join('\n'));
  writeFileSync(join(dir, 'results.json'), JSON.stringify(r, (_k, v) => (v === Infinity ? 'Infinity' : v), 2) + '\n');
  return file;
}

/** The self-check: every section present and every file written. Returns what is missing. */
export function checkReport(dir: string): string[] {
  const missing: string[] = [];
  const readme = join(dir, 'README.md');
  if (!existsSync(readme)) return ['README.md'];
  const text = readFileSync(readme, 'utf8');
  for (const s of SECTIONS) if (!text.includes(`\n${s}\n`)) missing.push(`section "${s}"`);
  for (const f of ['failure-rate.svg', 'latency.svg', 'results.json']) if (!existsSync(join(dir, f)) || statSync(join(dir, f)).size < 100) missing.push(f);
  for (const f of ['failure-rate.svg', 'latency.svg']) if (existsSync(join(dir, f)) && !/<circle /.test(readFileSync(join(dir, f), 'utf8'))) missing.push(`${f}: no data points`);
  if (!/\n\| \d+ \/ \d+ GB/.test(text)) missing.push('capacity table row');
  if (!/\| \d+ \| (yes|no) \| \d/.test(text)) missing.push('a CPU-per-call figure');
  if (!/\| \d+ % \| \d+ \| \d/.test(text)) missing.push('a latency figure');
  return missing;
}
