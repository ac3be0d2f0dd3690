import { Command, CommanderError } from 'commander';
import { AdminClient, ApiError, resolveToken } from './client.js';
import { keyValues, table } from './table.js';
import { addStoreCommands } from './store-commands.js';
import { addRateCommands } from './rate-commands.js';
import { addNetworkCommands, UsageError } from './network-commands.js';

export interface CliIo {
  out(s: string): void;
  err(s: string): void;
  readonly env: Record<string, string | undefined>;
}

interface Globals {
  url: string;
  token?: string;
  dataDir: string;
  json?: boolean;
}

const enc = encodeURIComponent;

function toMs(t: string): number {
  return /^\d+$/.test(t) ? Number(t) : Date.parse(t);
}

function explainText(r: any): string {
  const head = `${r.number} -> ${r.output === '' ? '(empty)' : r.output}  ${r.matched >= 0 ? `(rule ${r.matched}: ${r.rule.from || '(empty)'} -> ${r.rule.to || '(empty)'})` : '(no rule matched: unchanged)'}\n`;
  const rows = table(['#', 'FROM', 'TO', 'MATCHES', 'WHY'], (r.candidates as any[]).map((c) => [c.index, c.from, c.to, c.matches ? 'yes' : 'no', c.why]));
  const warn = (r.warnings as any[]).map((w) => `warning: rule ${w.index}: ${w.message}\n`).join('');
  return head + rows + warn;
}

function showValue(v: unknown): string {
  return v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v);
}

/** A params.yaml or server.yaml reload as lines: what applies now, what waits for a restart, what an override keeps. */
function updateText(r: any): string {
  const lines = [`${r.source}: ${r.message}`];
  for (const c of r.applied as any[]) lines.push(`  applied  ${c.name}: ${c.from} -> ${c.to}`);
  for (const c of r.pendingRestart as any[]) lines.push(`  restart  ${c.name}: ${c.from} stays in force; ${c.to} after the next restart (${c.why})`);
  for (const c of (r.overridden ?? []) as any[]) lines.push(`  override ${c.name}: file says ${c.file}, the admin API override keeps ${c.inForce} (ssw params reset ${c.name} to follow the file)`);
  if ((r.qualityWindows ?? []).length > 0) lines.push(`  quality windows re-cut: ${(r.qualityWindows as string[]).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Runs the `ssw` command line over the admin API; resolves with the exit code (0 ok, 1 the API
 * refused or was unreachable, 2 usage). Never calls process.exit, so it can run in-process.
 */
export async function runCli(argv: readonly string[], io: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env }): Promise<number> {
  const program = new Command('ssw');
  program
    .description('Operate an open-softswitch through its admin API')
    .option('--url <url>', 'admin API base URL', io.env.SSW_ADMIN_URL ?? 'http://127.0.0.1:8080')
    .option('--token <token>', 'API token (default: $SSW_TOKEN, then <data-dir>/admin-token)')
    .option('--data-dir <dir>', 'data directory holding admin-token', io.env.SSW_DATA_DIR ?? 'data')
    .option('--json', 'print JSON for machines instead of tables')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();

  const g = (): Globals => program.opts<Globals>();
  const client = () => new AdminClient({ url: g().url, token: resolveToken(g().token, io.env, g().dataDir) });
  const print = (data: unknown, human: () => string) => io.out(g().json ? `${JSON.stringify(data, null, 2)}\n` : human());

  program.command('start')
    .description('run the softswitch in this process (config from --config or $SSW_CONFIG)')
    .option('--config <dir>', 'configuration folder')
    .action(async (o: { config?: string }) => {
      if (o.config) process.env.SSW_CONFIG = o.config;
      // main.js starts the switch on import, keeps the process alive and exits itself on SIGTERM/SIGINT.
      await import('../main.js');
    });

  const params = program.command('params').description('show and change system parameters');
  params.command('list', { isDefault: true }).description('every parameter with value, default and range')
    .option('--area <area>', 'only one area (sip, routing, billing, ...)')
    .option('--changed', 'only parameters not at their default')
    .action(async (o: { area?: string; changed?: boolean }) => {
      const r = await client().request('GET', '/api/v1/parameters');
      const list = (r.parameters as any[]).filter((p) => (!o.area || p.area === o.area) && (!o.changed || p.source !== 'default' || p.pending !== undefined));
      print({ parameters: list, pendingRestart: r.pendingRestart }, () => table(['NAME', 'VALUE', 'DEFAULT', 'RANGE', 'SOURCE', 'APPLIES'], list.map((p) => [
        p.name, p.pendingText === undefined ? p.text : `${p.text} (${p.pendingText} after restart)`, p.defaultText, p.range, p.source, p.applies,
      ])));
    });
  params.command('get <name>').description('one parameter in full').action(async (name: string) => {
    const p = await client().request('GET', `/api/v1/parameters/${enc(name)}`);
    print(p, () => keyValues({
      name: p.name, value: p.text, ...(p.pendingText !== undefined ? { 'after restart': p.pendingText } : {}), default: p.defaultText, range: p.range, unit: p.unit,
      source: p.source, applies: p.applies + (p.restartWhy ? ` (${p.restartWhy})` : ''), status: p.status, description: p.description,
    }));
  });
  params.command('set <name> <value>').description('change a parameter for new calls (persisted; a restart-only one at the next start)').action(async (name: string, value: string) => {
    const p = await client().request('PUT', `/api/v1/parameters/${enc(name)}`, { value });
    print(p, () => (p.pendingText !== undefined ? `${p.name} = ${p.text} in force; ${p.pendingText} after the next restart (${p.restartWhy})\n` : `${p.name} = ${p.text} (new calls from now on)\n`));
  });
  params.command('reload').description('re-read params.yaml (as SIGHUP does): live parameters for new calls at once, restart-only ones listed')
    .action(async () => {
      const r = await client().request('POST', '/api/v1/parameters/reload');
      print(r, () => updateText(r));
    });
  params.command('reset <name>').description('drop the API override (back to params.yaml or the default)').action(async (name: string) => {
    const p = await client().request('DELETE', `/api/v1/parameters/${enc(name)}`);
    print(p, () => `${p.name} = ${p.text} (${p.source})\n`);
  });

  const server = program.command('server').description('server.yaml settings in force');
  server.command('show', { isDefault: true }).description('every field: value in force, live or restart, value pending a restart').action(async () => {
    const r = await client().request('GET', '/api/v1/server');
    print(r, () => table(['FIELD', 'VALUE', 'APPLIES', 'AFTER RESTART'], (r.fields as any[]).map((f) => [f.name, showValue(f.value), f.applies, f.pending === undefined ? '' : showValue(f.pending)])));
  });
  server.command('reload').description('re-read server.yaml (as SIGHUP does): live fields at once, restart-only ones listed').action(async () => {
    const r = await client().request('POST', '/api/v1/server/reload');
    print(r, () => updateText(r));
  });

  const calls = program.command('calls').description('current calls');
  calls.command('list', { isDefault: true }).description('calls in progress')
    .option('--state <state>', 'only calls in this state (connected, ringing, ...)')
    .option('--gateway <name>', 'only calls on this routing gateway')
    .option('--limit <n>', 'at most n calls', '1000')
    .action(async (o: { state?: string; gateway?: string; limit: string }) => {
      const q = new URLSearchParams({ limit: o.limit });
      if (o.state) q.set('state', o.state);
      if (o.gateway) q.set('gateway', o.gateway);
      const r = await client().request('GET', `/api/v1/calls?${q}`);
      print(r, () => table(['FLOWNO', 'STATE', 'CALLER', 'CALLEE', 'INGRESS', 'GATEWAY', 'DURATION'], (r.calls as any[]).map((c) => [c.flowNo, c.state, c.caller.received, c.callee.received, c.ingress.gateway, c.gateway, `${Math.round(c.durationMs / 1000)}s`])) + `${r.total} call(s)\n`);
    });
  calls.command('hangup <flowNo>').description('hang up a call (both legs)').action(async (flowNo: string) => {
    const r = await client().request('DELETE', `/api/v1/calls/${enc(flowNo)}`);
    print(r, () => `released ${r.flowNo} (was ${r.wasState})\n`);
  });

  program.command('perf').description('current calls, CPS, event-loop delay, transactions').action(async () => {
    const p = await client().request('GET', '/api/v1/performance');
    print(p, () => keyValues({
      'calls active': p.calls.active, 'calls started': p.calls.started, 'cps (1 s)': p.cps.lastSecond, 'cps (1 min)': p.cps.lastMinute,
      'event loop p50/p99/max ms': `${p.eventLoopDelayMs.p50} / ${p.eventLoopDelayMs.p99} / ${p.eventLoopDelayMs.max}`,
      'transactions server/client': `${p.transactions.server} / ${p.transactions.client}`, 'cdr queue': p.cdrQueueDepth, 'uptime s': p.uptimeSeconds,
    }));
  });

  const dialplan = program.command('dialplan').description('what a dial plan does to a number');
  dialplan.command('explain <number>').description('apply rules given here ("from->to", repeat --rule) and show the rule that matched')
    .requiredOption('--rule <rule>', 'a rule "original->target" (or "original:target"); repeat for a rule set', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (number: string, o: { rule: string[] }) => {
      const rules = o.rule.map((r) => {
        const m = /^(.*?)(?:->|:)(.*)$/.exec(r.trim());
        if (!m) throw new ApiError('SSW_ERR_CLI_USAGE', `rule ${JSON.stringify(r)} is not "from->to"`, 0);
        return { from: m[1]!.trim(), to: m[2]!.trim() };
      });
      const r = await client().request('POST', '/api/v1/dialplans/explain', { rules, number });
      print(r, () => explainText(r));
    });
  dialplan.command('gateway <kind> <name> <number>').description('a configured gateway\'s rules (kind: mapping or routing)')
    .option('--caller', 'the caller rules instead of the callee rules')
    .action(async (kind: string, name: string, number: string, o: { caller?: boolean }) => {
      const r = await client().request('GET', `/api/v1/gateways/${enc(kind)}/${enc(name)}/dialplan?number=${enc(number)}&side=${o.caller ? 'caller' : 'callee'}`);
      print(r, () => explainText(r));
    });

  program.command('route <ingress> <number>').description('explain where a call from this mapping gateway to this number would go, and why')
    .action(async (ingress: string, number: string) => {
      const r = await client().request('GET', `/api/v1/routing/explain?ingress=${enc(ingress)}&number=${enc(number)}`);
      print(r, () => `${number} -> ${r.calleeAfterDialPlan} (sort: ${r.steps.join(', ')})\n` + table(['RANK', 'GATEWAY', 'PREFIX', 'PRIO', 'ASR', 'RATE', 'USAGE', 'FILTERED'],
        (r.considered as any[]).map((c) => [c.rank >= 0 ? c.rank + 1 : '-', c.gateway, c.prefix || '*', c.keys.priority, c.keys.asr ?? '-', c.keys.rate ?? '-', c.keys.lineUsage, c.filtered ?? ''])) +
        (r.endReason ? `no route: ${r.endReason}\n` : ''));
    });

  program.command('cdrs').description('search CDRs (default: the last hour); --csv exports the range')
    .option('--from <time>', 'start (ISO time or epoch ms)').option('--to <time>', 'end (ISO time or epoch ms)')
    .option('--account <id>').option('--gateway <name>').option('--caller <prefix>').option('--callee <prefix>').option('--reason <endReason>')
    .option('--page <n>', 'page', '1').option('--page-size <n>', 'rows per page', '100').option('--csv', 'CSV of every CDR in the range')
    .action(async (o: { from?: string; to?: string; account?: string; gateway?: string; caller?: string; callee?: string; reason?: string; page: string; pageSize: string; csv?: boolean }) => {
      const to = o.to ? toMs(o.to) : Date.now();
      const from = o.from ? toMs(o.from) : to - 3_600_000;
      if (o.csv) {
        io.out(await client().request('GET', `/api/v1/cdrs/export?from=${from}&to=${to}`));
        return;
      }
      const q = new URLSearchParams({ from: String(from), to: String(to), page: o.page, pageSize: o.pageSize });
      for (const [k, v] of [['account', o.account], ['gateway', o.gateway], ['callerPrefix', o.caller], ['calleePrefix', o.callee], ['endReason', o.reason]] as const) if (v) q.set(k, v);
      const r = await client().request('GET', `/api/v1/cdrs?${q}`);
      print(r, () => table(['START', 'CALLER', 'CALLEE', 'SENT', 'GATEWAY', 'HOLD s', 'FEE', 'END'], (r.rows as any[]).map((c) => [
        new Date(c.startTime).toISOString(), c.callerAccess, c.calleeAccess, c.calleeGateway, c.egressGateway, (c.holdTimeMs / 1000).toFixed(1), c.fee, c.endReasonText || c.endReason,
      ])) + `${r.total} CDR(s), page ${r.page}\n`);
    });

  program.command('account <id>').description('an account\'s balance and flags; --number: how long it can talk to that number now; --history: its ledger')
    .option('--number <number>', 'the "available time" query')
    .option('--history', 'every balance change with the running balance')
    .action(async (id: string, o: { number?: string; history?: boolean }) => {
      const a = await client().request('GET', `/api/v1/accounts/${enc(id)}`);
      const t = o.number ? await client().request('GET', `/api/v1/accounts/${enc(id)}/available-time?number=${enc(o.number)}`) : undefined;
      const h = o.history ? await client().request('GET', `/api/v1/accounts/${enc(id)}/ledger`) : undefined;
      const { packages, ...flat } = a as { packages?: any[] };
      print({ ...a, ...(t ? { availableTime: t } : {}), ...(h ? { ledger: h.entries } : {}) }, () =>
        keyValues({ ...flat, ...(t ? { [`available to ${o.number}`]: t.ok ? `${t.seconds} s` : `refused: ${t.reason}` } : {}) }) +
        (packages && packages.length > 0
          ? table(['PACKAGE', 'PREFIXES', 'FREE S', 'LEFT S', 'RESERVED S', 'EXPIRES'], packages.map((p) => [p.id, p.prefixes.join(','), p.freeSeconds, p.remainingSeconds, p.reservedSeconds, p.expiresAt === null ? 'never' : new Date(p.expiresAt).toISOString()]))
          : '') +
        (h ? table(['TIME', 'REASON', 'AMOUNT', 'BALANCE', 'PACKAGE S', 'MEMO', 'REF'], (h.entries as any[]).map((e) => [new Date(e.time).toISOString(), e.reason, e.amount, e.balanceAfter, e.packageId ? `${e.packageSeconds} (${e.packageId})` : '', e.memo, e.ref])) : ''));
    });

  program.command('recharge <id> <amount>').description('add money to an account (extends its expiry); --request-id makes a retry apply once')
    .option('--memo <text>').option('--request-id <id>')
    .action(async (id: string, amount: string, o: { memo?: string; requestId?: string }) => {
      const r = await client().request('POST', `/api/v1/accounts/${enc(id)}/recharge`, { amount, ...(o.memo ? { memo: o.memo } : {}), ...(o.requestId ? { requestId: o.requestId } : {}) });
      print(r, () => `${r.applied ? 'recharged' : 'already applied'}: ${id} balance ${r.balance}\n`);
    });

  program.command('adjust <id> <amount>').description('correct a balance by a signed amount (e.g. -2.50), with the reason in --memo; --request-id makes a retry apply once')
    .requiredOption('--memo <text>', 'why (kept in the ledger)').option('--request-id <id>')
    .action(async (id: string, amount: string, o: { memo: string; requestId?: string }) => {
      const r = await client().request('POST', `/api/v1/accounts/${enc(id)}/adjust`, { amount, memo: o.memo, ...(o.requestId ? { requestId: o.requestId } : {}) });
      print(r, () => `${r.applied ? 'adjusted' : 'already applied'}: ${id} balance ${r.balance}\n`);
    });

  addStoreCommands(program, io.out);
  addRateCommands(program, { io, client, print, json: () => g().json === true, conn: () => ({ url: g().url.replace(/\/+$/, ''), token: resolveToken(g().token, io.env, g().dataDir) }) });

  addNetworkCommands(program, { client, print });

  program.command('health').description('is the switch up (and draining?)').action(async () => {
    const h = await client().request('GET', '/api/v1/health');
    print(h, () => `${h.status} (uptime ${h.uptimeSeconds} s, ${h.activeCalls} active calls)\n`);
  });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      io.err(`ssw: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ApiError) {
      if (g().json) io.out(`${JSON.stringify({ error: { code: err.code, message: err.message } }, null, 2)}\n`);
      io.err(`ssw: ${err.code}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
