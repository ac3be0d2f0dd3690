// SIPp peers around an in-process switch with its full engines: carriers played by SIPp UAS
// instances (each with a message log the test reads back), callers played by SIPp UACs, and the
// CDRs read from the switch's own store.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './process.js';
import { runSipp, type SippResult } from './sipp.js';
import { writeNetworkConfig } from './switch.js';
import { loadConfig, type LoadedConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import type { CdrRecord } from '../../src/cdr/index.js';

/** The scenario files of these tests (sources, not compiled). */
export const SCENARIOS = join(ROOT, 'test', 'sipp', 'scenarios');

/** Resolves after ms milliseconds. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls pred every 50 ms until it holds; throws naming `what` after ms. */
export async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(50);
  }
}

/** One SIP message from a SIPp -trace_msg log. */
export interface LoggedMessage {
  /** Wall-clock ms of SIPp's timestamp line. */
  at: number;
  dir: 'received' | 'sent';
  /** Request method, or '' for a response. */
  method: string;
  /** Response status, or 0 for a request. */
  status: number;
  /** User part of the Request-URI (requests only). */
  user: string;
  callId: string;
  text: string;
}

/** Parses a SIPp -trace_msg file; blocks without a timestamp (SIPp's "unexpected" echoes) are skipped. */
export function parseMessageLog(file: string): LoggedMessage[] {
  if (!existsSync(file)) return [];
  const out: LoggedMessage[] = [];
  const re = /^-{10,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\n(?:UDP|TCP) message (received|sent) [\[(]\d+\]? bytes\)? ?:\n\n([\s\S]*?)(?=\n-{10,}|(?![\s\S]))/gm;
  const text = readFileSync(file, 'latin1').replace(/\r/g, '');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const msg = m[3]!.trim();
    const first = msg.split('\n', 1)[0]!;
    const st = /^SIP\/2\.0 (\d{3})/.exec(first);
    const rq = /^([A-Z]+) sips?:(?:([^@\s;]*)@)?/.exec(first);
    // SIPp writes local time without a zone; Date parses "YYYY-MM-DDTHH:MM:SS.mmm" as local time too.
    const [d, t] = m[1]!.split(' ');
    out.push({
      at: new Date(`${d}T${t!.slice(0, 12)}`).getTime(),
      dir: m[2] as 'received' | 'sent',
      method: st ? '' : rq?.[1] ?? '',
      status: st ? Number(st[1]) : 0,
      user: st ? '' : rq?.[2] ?? '',
      callId: /^Call-ID:\s*(.+)$/im.exec(msg)?.[1]?.trim() ?? '',
      text: msg,
    });
  }
  return out;
}

/** A SIPp instance playing a carrier (or any long-running UAS). */
export class SippUas {
  readonly dir: string;
  readonly log: string;
  #child: ChildProcess | null;
  #exited: Promise<void>;

  /** Starts `sipp <scenario args> -i ip -p port`, logging every message. */
  constructor(readonly ip: string, readonly port: number, scenario: string[]) {
    this.dir = mkdtempSync(join(tmpdir(), 'sipp-uas-'));
    this.log = join(this.dir, 'messages.log');
    const c = spawn('sipp', [...scenario, '-i', ip, '-p', String(port), '-nostdin', '-trace_msg', '-message_file', this.log, '-trace_err', '-error_file', join(this.dir, 'errors.log')], { cwd: this.dir, stdio: 'ignore' });
    this.#child = c;
    this.#exited = new Promise((r) => c.once('exit', () => r()));
  }

  /** Every message in its log so far. */
  messages(): LoggedMessage[] {
    return parseMessageLog(this.log);
  }

  /** Distinct calls (Call-IDs) whose INVITE reached this UAS, for callee numbers starting with `prefix`. */
  invites(prefix = ''): string[] {
    const ids = new Set<string>();
    for (const m of this.messages()) if (m.dir === 'received' && m.method === 'INVITE' && m.user.startsWith(prefix)) ids.add(m.callId);
    return [...ids];
  }

  /** Resolves once its UDP socket is bound (so a first INVITE is not lost to a port not yet open). */
  async listening(timeoutMs = 10_000): Promise<void> {
    const bound = () => {
      if (!this.running) throw new Error(`SIPp on ${this.ip}:${this.port} exited:\n${existsSync(join(this.dir, 'errors.log')) ? readFileSync(join(this.dir, 'errors.log'), 'utf8').slice(-1000) : ''}`);
      return spawnSync('ss', ['-Hlun', `src ${this.ip}:${this.port}`], { encoding: 'utf8' }).stdout.trim() !== '';
    };
    await until(bound, timeoutMs, `SIPp listening on ${this.ip}:${this.port}`);
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Kills the process and waits for it (the log stays until cleanup()). */
  async stop(): Promise<void> {
    if (this.running) this.#child!.kill('SIGKILL');
    this.#child = null;
    await this.#exited;
  }

  /** Stops it and removes its folder. */
  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Writes a copy of scenario `name` into dir with each placeholder replaced; returns its path. */
export function renderScenario(dir: string, name: string, values: Record<string, string>): string {
  let text = readFileSync(join(SCENARIOS, name), 'utf8');
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(k, v);
  const file = join(dir, `${Object.values(values).join('_').replace(/\W+/g, '_')}_${name}`);
  writeFileSync(file, text);
  return file;
}

/** A carrier refusing every call with `status` (486, 503, ...). */
/** Which of the named carriers saw an INVITE for this callee, and how many each (carriers with none left out). */
export function landedOn(uases: Readonly<Record<string, SippUas>>, callee: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, u] of Object.entries(uases)) {
    const n = u.invites(callee).length;
    if (n > 0) out[name] = n;
  }
  return out;
}

export function rejectingUas(ip: string, port: number, status: number, reason: string, dir: string): SippUas {
  return new SippUas(ip, port, ['-sf', renderScenario(dir, 'uas_reject.xml', { STATUS_CODE: String(status), REASON_PHRASE: reason })]);
}

/** A carrier that answers every call (SIPp's built-in uas: 180, 200 with SDP, waits for BYE). */
export function answeringUas(ip: string, port: number): SippUas {
  return new SippUas(ip, port, ['-sn', 'uas']);
}

export interface UacResult extends SippResult {
  /** Messages the UAC sent and received. */
  messages: LoggedMessage[];
}

/**
 * Runs one SIPp caller to completion. `scenario` is SIPp arguments (`-sn uac` or `-sf file`);
 * the caller sends from ip:port to the switch at `to` with callee `number`. Its folder is removed.
 */
export async function runUac(o: { scenario: string[]; to: string; ip: string; port: number; number: string; calls?: number; rate?: number; holdMs?: number; timeoutMs?: number }): Promise<UacResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-uac-'));
  const log = join(dir, 'messages.log');
  try {
    const args = [...o.scenario, o.to, '-i', o.ip, '-p', String(o.port), '-s', o.number, '-m', String(o.calls ?? 1), '-r', String(o.rate ?? 10),
      '-d', String(o.holdMs ?? 200), '-timeout', `${Math.ceil((o.timeoutMs ?? 40_000) / 1000)}s`, '-timeout_error', '-recv_timeout', '35000',
      '-trace_msg', '-message_file', log];
    const r = await runSipp(args, (o.timeoutMs ?? 40_000) + 10_000).done;
    return { ...r, messages: parseMessageLog(log) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A caller scenario expecting final response `code` (uac_refused.xml with the code filled in). */
export function refusedScenario(dir: string, code: number): string[] {
  return ['-sf', renderScenario(dir, 'uac_refused.xml', { EXPECTED_CODE: String(code) })];
}

/** Final response statuses the UAC received for its INVITEs. */
export function finalStatuses(r: UacResult): number[] {
  return r.messages.filter((m) => m.dir === 'received' && m.status >= 200 && /^CSeq:\s*\d+ INVITE/im.test(m.text)).map((m) => m.status);
}

export interface NetSwitch {
  sw: Softswitch;
  dir: string;
  /** The CDR of the call to `callee` (as received), once it is in the store. */
  cdr(callee: string, timeoutMs?: number): Promise<CdrRecord>;
  /** Every stored CDR of calls to numbers starting with `prefix`. */
  cdrs(prefix: string): Promise<CdrRecord[]>;
  stop(): Promise<void>;
}

/**
 * Starts a switch in this process with its full engines (store, journal, accounts, rates) on a
 * network config. `tweak` may change the loaded config before start (fields the files lack yet).
 */
export async function startNetSwitch(o: { ip: string; network: object; rates?: Record<string, string>; params?: Record<string, unknown>; tweak?: (cfg: LoadedConfig) => LoadedConfig }): Promise<NetSwitch> {
  const dir = writeNetworkConfig({ ip: o.ip, network: o.network, rates: o.rates, params: o.params });
  let cfg = loadConfig(dir, { env: {} });
  if (o.tweak) cfg = o.tweak(cfg);
  const sw = new Softswitch(cfg);
  try {
    await sw.start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const day = 86_400_000;
  const query = async (prefix: string) => {
    const now = Date.now();
    const page = await sw.engines!.store!.queryCdrs({ from: now - day, to: now + day, calleePrefix: prefix, pageSize: 1000 });
    return page.rows;
  };
  return {
    sw, dir,
    async cdr(callee, timeoutMs = 15_000) {
      let found: CdrRecord | undefined;
      await until(async () => (found = (await query(callee)).find((c) => c.calleeAccess === callee)) !== undefined, timeoutMs, `CDR of the call to ${callee} in the store`);
      return found!;
    },
    cdrs: query,
    async stop() {
      await sw.stop(0);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every SIPp still running when a test file ends is killed and its folder removed. */
export async function cleanupAll(uases: Iterable<SippUas>): Promise<void> {
  for (const u of uases) await u.cleanup();
}
