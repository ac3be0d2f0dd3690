import { readFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ApiError, type AdminClient } from './client.js';
import { keyValues, table } from './table.js';
import type { CliIo } from './program.js';

export interface RateCommandDeps {
  readonly io: CliIo;
  client(): AdminClient;
  /** Base URL and token, for the requests that are not JSON (CSV up and down). */
  conn(): { url: string; token: string | undefined };
  print(data: unknown, human: () => string): void;
  json(): boolean;
}

const enc = encodeURIComponent;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `ssw rates list|import|export|explain`: rate groups and decks over the admin API. */
export function addRateCommands(program: Command, d: RateCommandDeps): void {
  const rates = program.command('rates').description('rate groups and rate decks');

  rates.command('list [group]', { isDefault: true }).description('the rate groups; with a group, its rates (paged)')
    .option('--prefix <digits>', 'only rows whose prefix starts with these digits')
    .option('--page <n>', 'page', '1').option('--page-size <n>', 'rows per page', '100')
    .action(async (group: string | undefined, o: { prefix?: string; page: string; pageSize: string }) => {
      if (group === undefined) {
        const r = await d.client().request('GET', '/api/v1/rate-groups');
        d.print(r, () => table(['GROUP', 'ROWS', 'STORED', 'ACCOUNTS'], (r.groups as any[]).map((g) => [g.name, g.rows, g.stored ? 'yes' : 'no', g.accounts.join(',') || '-'])));
        return;
      }
      const q = new URLSearchParams({ page: o.page, pageSize: o.pageSize });
      if (o.prefix) q.set('prefix', o.prefix);
      const r = await d.client().request('GET', `/api/v1/rate-groups/${enc(group)}/rates?${q}`);
      d.print(r, () => table(['PREFIX', 'AREA', 'TYPE', 'RATE/MIN', 'PERIODS', 'CONN FEE', 'EFFECTIVE', 'LOCKED'], (r.rows as any[]).map((x) => [
        x.prefix, x.areaName, x.callType, x.rate, `${x.firstPeriod}/${x.nextPeriod}`, x.connectionFee, x.effectiveFrom === 0 ? 'always' : x.effectiveFromIso, x.locked ? 'yes' : '',
      ])) + `${r.total} row(s), page ${r.page}\n`);
    });

  rates.command('import <group> <file>').description('import a CSV rate deck (taken whole or not at all), with a progress bar')
    .option('--merge', 'keep rows the deck does not give (default: replace the group\'s rows)')
    .action(async (group: string, file: string, o: { merge?: boolean }) => {
      const body = await readFile(file);
      const { url, token } = d.conn();
      const res = await send(`${url}/api/v1/rate-groups/${enc(group)}/import?mode=${o.merge ? 'merge' : 'replace'}&wait=false`, token, { method: 'POST', body, headers: { 'content-type': 'text/csv' } });
      let job = await jsonOf(res);
      const bar = d.json() ? null : progressBar(d.io);
      bar?.start(1, 0, { phase: 'uploaded' });
      const path = `/api/v1/rate-imports/${enc(job.id)}`;
      while (job.finishedAt === null) {
        await sleep(200);
        job = await d.client().request('GET', path);
        if (bar) {
          const storing = job.phase === 'storing' || job.phase === 'swapping';
          bar.setTotal(Math.max(1, storing ? job.rowsTotal : job.totalLines));
          bar.update(storing ? job.rowsStored : job.rowsRead, { phase: job.phase });
        }
      }
      bar?.update(job.phase === 'done' ? job.rowsTotal : job.rowsRead, { phase: job.phase });
      bar?.stop();
      if (job.phase !== 'done') {
        if (d.json()) d.io.out(`${JSON.stringify(job, null, 2)}\n`);
        else for (const e of job.errors as Array<{ line: number; reason: string }>) d.io.err(`${file}:${e.line}: ${e.reason}\n`);
        throw new ApiError(job.phase === 'refused' ? 'SSW_ERR_RATES_DECK_REFUSED' : 'SSW_ERR_RATES_IMPORT_FAILED',
          job.phase === 'refused' ? `deck refused, ${job.errors.length} bad line(s); the group is unchanged` : `import failed: ${job.message}; the group is unchanged`, 400);
      }
      d.print(job, () => `imported ${job.rowsRead} row(s) into ${group} (${job.mode}): the group has ${job.rowsTotal} row(s), in force for new calls; ${(job.elapsedMs / 1000).toFixed(1)} s\n`);
    });

  rates.command('export <group>').description('a rate group as a CSV deck (to stdout, or --out <file>)')
    .option('--out <file>', 'write to this file')
    .action(async (group: string, o: { out?: string }) => {
      const { url, token } = d.conn();
      const res = await send(`${url}/api/v1/rate-groups/${enc(group)}/export`, token, { method: 'GET' });
      if (!res.ok) await jsonOf(res);
      if (o.out) await pipeline(Readable.fromWeb(res.body as never), createWriteStream(o.out));
      else d.io.out(await res.text());
    });

  rates.command('explain <number>').description('how a number is rated: every matching prefix, the row in force, the one used')
    .option('--account <id>', 'the account whose rate group rates it (also shows its available time)')
    .option('--group <name>', 'a rate group')
    .option('--time <time>', 'at this time (ISO 8601 or epoch ms; default now)')
    .action(async (number: string, o: { account?: string; group?: string; time?: string }) => {
      const q = new URLSearchParams({ number });
      if (o.account) q.set('account', o.account);
      if (o.group) q.set('group', o.group);
      if (o.time) q.set('time', o.time);
      const r = await d.client().request('GET', `/api/v1/rates/explain?${q}`);
      d.print(r, () => keyValues({
        number: r.number, group: r.group, at: new Date(r.time).toISOString(), result: r.result,
        ...(r.row ? { rate: `${r.row.rate}/min ${r.row.firstPeriod}/${r.row.nextPeriod}, connection fee ${r.row.connectionFee} (prefix ${r.row.prefix} ${r.row.areaName})` } : {}),
        ...(r.availableTime ? { 'available time': r.availableTime.ok ? `${r.availableTime.seconds} s` : `refused: ${r.availableTime.reason}` } : {}),
      }) + table(['PREFIX', 'RATE/MIN', 'PERIODS', 'EFFECTIVE', 'NOTE'], (r.candidates as any[]).map((c) => [
        c.prefix, c.inForce?.rate ?? '-', c.inForce ? `${c.inForce.firstPeriod}/${c.inForce.nextPeriod}` : '-', c.inForce ? (c.inForce.effectiveFrom === 0 ? 'always' : c.inForce.effectiveFromIso) : '-', c.note,
      ])));
    });
}

async function send(url: string, token: string | undefined, init: { method: string; body?: Buffer; headers?: Record<string, string> }): Promise<Response> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    return await fetch(url, { method: init.method, headers, body: init.body as unknown as BodyInit | undefined });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new ApiError('SSW_ERR_CLI_UNREACHABLE', `cannot reach the admin API at ${new URL(url).origin} (${cause})`, 0);
  }
}

/** The JSON body of a 2xx; an ApiError (code and message from the API) otherwise. */
async function jsonOf(res: Response): Promise<any> {
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) throw new ApiError(json?.error?.code ?? `HTTP_${res.status}`, json?.error?.message ?? text.slice(0, 200), res.status);
  return json;
}

/** A bar on stderr: redrawn in place on a terminal, a line every half second otherwise. */
function progressBar(io: CliIo): cliProgress.SingleBar {
  const tty = io.env === process.env && process.stderr.isTTY === true;
  const stream = tty ? process.stderr : ({ isTTY: false, write: (s: string) => { io.err(s.endsWith('\n') ? s : `${s}\n`); return true; } } as unknown as NodeJS.WriteStream);
  return new cliProgress.SingleBar({
    stream, noTTYOutput: true, notTTYSchedule: 500, hideCursor: tty,
    format: '{phase} [{bar}] {percentage}% | {value}/{total} rows | {duration}s',
  }, cliProgress.Presets.shades_classic);
}
