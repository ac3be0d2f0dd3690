import { Command, CommanderError } from 'commander';
import { AdminClient, ApiError, resolveToken } from './client.js';
import { keyValues, table } from './table.js';

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
      const list = (r.parameters as any[]).filter((p) => (!o.area || p.area === o.area) && (!o.changed || p.source !== 'default'));
      print({ parameters: list }, () => table(['NAME', 'VALUE', 'DEFAULT', 'RANGE', 'SOURCE'], list.map((p) => [p.name, p.text, p.defaultText, p.range, p.source])));
    });
  params.command('get <name>').description('one parameter in full').action(async (name: string) => {
    const p = await client().request('GET', `/api/v1/parameters/${enc(name)}`);
    print(p, () => keyValues({ name: p.name, value: p.text, default: p.defaultText, range: p.range, unit: p.unit, source: p.source, status: p.status, description: p.description }));
  });
  params.command('set <name> <value>').description('change a parameter for new calls (persisted)').action(async (name: string, value: string) => {
    const p = await client().request('PUT', `/api/v1/parameters/${enc(name)}`, { value });
    print(p, () => `${p.name} = ${p.text} (new calls from now on)\n`);
  });
  params.command('reset <name>').description('drop the API override (back to params.yaml or the default)').action(async (name: string) => {
    const p = await client().request('DELETE', `/api/v1/parameters/${enc(name)}`);
    print(p, () => `${p.name} = ${p.text} (${p.source})\n`);
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

  program.command('health').description('is the switch up (and draining?)').action(async () => {
    const h = await client().request('GET', '/api/v1/health');
    print(h, () => `${h.status} (uptime ${h.uptimeSeconds} s, ${h.activeCalls} active calls)\n`);
  });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ApiError) {
      if (g().json) io.out(`${JSON.stringify({ error: { code: err.code, message: err.message } }, null, 2)}\n`);
      io.err(`ssw: ${err.code}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
