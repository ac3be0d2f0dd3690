/**
 * The system parameters (params.yaml, the admin API's overrides) and the server.yaml settings in
 * force, changed at run time without a restart. A reload reads the file, validates it whole as
 * start-up does (a bad file changes nothing and the error names file, parameter and range), then
 * swaps the new values in at once. Calls in progress keep the parameter set they started with
 * (CallRecord.params, their billing grant, their transactions' retransmission schedule); new
 * calls see the new one. Parameters and server fields a running switch cannot take (registry
 * `restart`, server fields without `live`) keep the value in force and are reported as pending a
 * restart, in the answer and in a log line.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  PARAM_DEFS, ParamSet, SERVER_SPEC, appliesOf, findParam, formatParam, loadParams, loadServer,
  type LoadedConfig, type ParamDef, type ParamValue, type ServerConfig,
} from './config/index.js';
import { timerConfig } from './sip/index.js';
import { billingSettingsFrom } from './billing/index.js';
import { NetworkPolicy } from './call/index.js';
import { componentLogger, logger } from './util/log.js';
import { createError, isSswError } from './util/errors.js';
import { monotonicMs } from './util/time.js';
import type { Softswitch } from './switch.js';

const log = componentLogger('config');

/** Where the admin API keeps its parameter overrides, under the data directory. */
export const OVERRIDES_FILE = 'params-overrides.json';

/** A persisted override the registry refuses (start-up of the admin API). */
export const overridesInvalid = createError('SSW_ERR_ADMIN_PARAM_OVERRIDES', 500);

/** Where a parameter's value in force comes from. */
export type ParamSource = 'default' | 'file' | 'api';

/** One parameter or server field whose value changed, as an operator writes it. */
export interface ValueChange {
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

/** A change that waits for a restart: `from` stays in force, `to` is what the restart takes. */
export interface PendingChange extends ValueChange {
  readonly why: string;
}

/** What a parameter reload, set or reset did. */
export interface ParamsUpdate {
  /** The file read (params.yaml), or `admin API` for a set/reset. */
  readonly source: string;
  /** Now in force for new calls. */
  readonly applied: readonly ValueChange[];
  /** Restart-only parameters whose new value waits for a restart (every one pending, not only new ones). */
  readonly pendingRestart: readonly PendingChange[];
  /** Parameters params.yaml changed that an admin API override keeps as they are (DELETE the override to follow the file). */
  readonly overridden: readonly { readonly name: string; readonly file: string; readonly inForce: string }[];
  /** Quality windows re-cut because their SS_GATEWAY_*_RESERVE_* changed ('asr', 'acd', 'pdd'). */
  readonly qualityWindows: readonly string[];
}

/** What a server.yaml reload did. */
export interface ServerUpdate {
  readonly source: string;
  readonly applied: readonly ValueChange[];
  readonly pendingRestart: readonly PendingChange[];
}

/** One parameter as operators see it: value in force, where it came from, whether it applies live. */
export interface ParamState {
  readonly def: ParamDef;
  readonly value: ParamValue;
  readonly source: ParamSource;
  readonly applies: 'live' | 'restart';
  /** Set when a restart-only parameter has a new value waiting for the restart. */
  readonly pending?: ParamValue;
}

/** One server.yaml field: value in force, whether it applies live, and a value pending a restart. */
export interface ServerFieldState {
  readonly name: string;
  readonly value: unknown;
  readonly applies: 'live' | 'restart';
  readonly pending?: unknown;
}

const SERVER_LIVE: ReadonlySet<string> = new Set(SERVER_SPEC.fields.filter((f) => f.live).map((f) => f.key));
const SERVER_WHY: Readonly<Record<string, string>> = {
  listen: 'the SIP sockets are bound at start',
  dbUrl: 'the store is opened at start',
  dataDir: 'the CDR journal, the store file and the admin token live there from start',
  adminHost: 'the admin API is bound at start',
  adminPort: 'the admin API is bound at start',
};

const BILLING = ['SERVER_BILLING_FEE_PRECISION', 'SERVER_BILLING_HOLD_TIME_PRECISION', 'SERVER_PAY_DELAY_CUSTOMER_EXPIRE_DAY', 'SS_MAX_CALL_DURATION'];
const QUERY = ['SERVER_QUERY_CDR_MAX_DAY_INTERVAL', 'SERVER_QUERY_ONE_PAGE_SIZE'];
const QUALITY = /^SS_GATEWAY_(ASR|ACD|QUALITY)_RESERVE_(TIME|SEPARATE)$/;

/**
 * The live parameters and server settings of one switch (Softswitch.live). Every change, from a
 * file reload or the admin API, goes through one path: compose what is wanted (defaults <
 * params.yaml < API overrides), keep restart-only values, swap the set into the B2BUA and tell
 * every part that read a value at start (transaction timers, billing, CDR queries, quality windows).
 */
export class LiveConfig {
  readonly #sw: Softswitch;
  readonly #dir: string;
  /** params.yaml as last read (valid), and the names it sets. */
  #file: ParamSet;
  #fileNames: ReadonlySet<string>;
  /** Admin API overrides as the operator gave them (persisted when a path is set). */
  #overrides: Record<string, string> = {};
  #overridesPath: string | null = null;
  #params: ParamSet;
  readonly #sources = new Map<string, ParamSource>();
  #server: ServerConfig;
  /** server.yaml (with the environment) as last read: differs from #server in restart-only fields. */
  #serverWanted: ServerConfig;
  /** True once the switch started: from then on restart-only values wait for a restart. */
  #running = false;
  #watcher: FSWatcher | null = null;
  readonly #initialLogLevel: string;
  /** Environment for server.yaml's overrides on reload (SSW_SIP_IP, SSW_DB_URL, ...). */
  env: Readonly<Record<string, string | undefined>> = process.env;
  /** File reloads by outcome, for metrics: something applied, nothing changed, refused (bad file). */
  readonly reloads: Record<'params.yaml' | 'server.yaml', { applied: number; unchanged: number; refused: number }> = {
    'params.yaml': { applied: 0, unchanged: 0, refused: 0 },
    'server.yaml': { applied: 0, unchanged: 0, refused: 0 },
  };

  constructor(sw: Softswitch, config: LoadedConfig) {
    this.#sw = sw;
    this.#dir = config.dir;
    this.#file = config.paramSet;
    this.#fileNames = new Set(config.paramNames ?? []);
    this.#params = config.paramSet;
    for (const d of PARAM_DEFS) this.#sources.set(d.name, this.#wantedSource(d.name));
    this.#server = config.server;
    this.#serverWanted = config.server;
    this.#initialLogLevel = logger.level;
    if (config.server.logLevel) logger.level = config.server.logLevel;
  }

  /** The parameter set in force: what a call starting now takes. */
  get params(): ParamSet {
    return this.#params;
  }

  /** The server settings in force (restart-only fields as the process started). */
  get server(): ServerConfig {
    return this.#server;
  }

  /** The overrides file in use (null until the admin API set one). */
  get overridesPath(): string | null {
    return this.#overridesPath;
  }

  /**
   * Reads the admin API's persisted overrides (`<dataDir>/params-overrides.json`) and puts them in
   * force; before the switch starts every one applies, after it restart-only ones wait. Throws
   * SSW_ERR_ADMIN_PARAM_OVERRIDES naming the file and the bad entry.
   */
  useOverridesFile(dataDir: string): ParamsUpdate {
    const path = join(dataDir, OVERRIDES_FILE);
    const overrides = readOverrides(path);
    try {
      this.#compose(this.#file, overrides);
    } catch (err) {
      throw overridesInvalid(`${path}: ${isSswError(err) ? err.message : String(err)} (fix or remove the entry)`);
    }
    this.#overridesPath = path;
    this.#overrides = overrides;
    // Installed whole even when nothing differs: the set in force may have been replaced around us.
    return this.#update('admin API', this.#file, this.#fileNames, true);
  }

  /** Called by Softswitch.start(): restart-only values are fixed from here on; every part that read a value at start is brought in line. */
  attach(): void {
    this.#running = true;
    this.#install(this.#params, null);
  }

  /**
   * Re-reads params.yaml and puts it in force: validated whole through the registry (a bad value
   * throws SSW_ERR_CONFIG_PARAM naming file, parameter and range, and nothing changes), API
   * overrides laid over it, restart-only changes kept for the restart.
   */
  reloadParams(): ParamsUpdate {
    const count = this.reloads['params.yaml'];
    let file: { set: ParamSet; names: readonly string[] };
    try {
      file = loadParams(this.#dir);
    } catch (err) {
      count.refused++;
      throw err;
    }
    const u = this.#update(join(this.#dir, 'params.yaml'), file.set, new Set(file.names), false);
    if (u.applied.length > 0) count.applied++;
    else count.unchanged++;
    this.#log(u);
    return u;
  }

  /** An admin API change of one parameter, persisted; throws SSW_ERR_CONFIG_PARAM naming the range. */
  setOverride(name: string, raw: unknown): ParamsUpdate {
    const def = findParam(name);
    const checked = this.#params.with(name, raw);
    const overrides = { ...this.#overrides, [name]: formatParam(def!, checked.get(name)) };
    this.#persist(overrides);
    this.#overrides = overrides;
    const u = this.#update('admin API', this.#file, this.#fileNames, false);
    this.#log(u);
    return u;
  }

  /** Drops the API override of `name`: params.yaml's value (or the default) is wanted again. */
  resetOverride(name: string): ParamsUpdate {
    const overrides = { ...this.#overrides };
    delete overrides[name];
    this.#persist(overrides);
    this.#overrides = overrides;
    const u = this.#update('admin API', this.#file, this.#fileNames, false);
    this.#log(u);
    return u;
  }

  /** Every parameter in registry order: value in force, source, live/restart, pending value. */
  paramStates(): ParamState[] {
    const wanted = this.#wanted();
    return PARAM_DEFS.map((def) => this.#state(def, wanted));
  }

  /** One parameter's state (undefined for a name the registry does not declare). */
  paramState(name: string): ParamState | undefined {
    const def = findParam(name);
    return def ? this.#state(def, this.#wanted()) : undefined;
  }

  /** Restart-only parameters whose wanted value differs from the one in force. */
  pendingParams(wanted: ParamSet = this.#wanted()): PendingChange[] {
    return PARAM_DEFS.filter((d) => this.#pendingName(d, wanted, this.#params))
      .map((d) => ({ name: d.name, from: formatParam(d, this.#params.get(d.name)), to: formatParam(d, wanted.get(d.name)), why: d.restart! }));
  }

  /**
   * Re-reads server.yaml (with the environment overrides, as at start): validated whole (a bad
   * field throws SSW_ERR_CONFIG_INVALID naming it, nothing changes), live fields applied, the rest
   * listed as pending a restart.
   */
  reloadServer(): ServerUpdate {
    const count = this.reloads['server.yaml'];
    let next: ServerConfig;
    try {
      next = loadServer(this.#dir, this.env);
    } catch (err) {
      count.refused++;
      throw err;
    }
    const prev = this.#server;
    const applied: ValueChange[] = [];
    const merged: Record<string, unknown> = { ...prev };
    for (const f of SERVER_SPEC.fields) {
      if (!SERVER_LIVE.has(f.key)) continue;
      const a = fieldOf(prev, f.key);
      const b = fieldOf(next, f.key);
      if (JSON.stringify(a) === JSON.stringify(b)) continue;
      applied.push({ name: f.key, from: showField(a), to: showField(b) });
      if (b === undefined) delete merged[f.key];
      else merged[f.key] = b;
    }
    this.#serverWanted = next;
    this.#server = Object.freeze(merged) as unknown as ServerConfig;
    this.#applyServer(this.#server, prev);
    const u: ServerUpdate = { source: join(this.#dir, 'server.yaml'), applied, pendingRestart: this.pendingServer() };
    if (applied.length > 0) count.applied++;
    else count.unchanged++;
    if (applied.length > 0) log.info({ file: u.source, applied }, 'server settings reloaded');
    else log.info({ file: u.source }, 'server.yaml reloaded: no live setting changed');
    for (const p of u.pendingRestart) log.warn({ file: u.source, field: p.name, inForce: p.from, file_value: p.to, why: p.why }, `server.yaml: ${p.name} needs a restart; ${p.from} stays in force until then`);
    return u;
  }

  /** server.yaml fields (as read with the environment) whose value waits for a restart. */
  pendingServer(): PendingChange[] {
    const out: PendingChange[] = [];
    for (const f of SERVER_SPEC.fields) {
      if (SERVER_LIVE.has(f.key)) continue;
      const a = fieldOf(this.#server, f.key);
      const b = fieldOf(this.#serverWanted, f.key);
      if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ name: f.key, from: showField(a), to: showField(b), why: SERVER_WHY[f.key] ?? 'read at start' });
    }
    return out;
  }

  /** Every server.yaml field in force, live or restart-only, with a value pending a restart. */
  serverStates(): ServerFieldState[] {
    return SERVER_SPEC.fields.map((f) => {
      const value = fieldOf(this.#server, f.key);
      const wanted = fieldOf(this.#serverWanted, f.key);
      const s: ServerFieldState = { name: f.key, value: f.key === 'logLevel' ? value ?? logger.level : value, applies: SERVER_LIVE.has(f.key) ? 'live' : 'restart' };
      return JSON.stringify(value) === JSON.stringify(wanted) ? s : { ...s, pending: wanted };
    });
  }

  /**
   * Reloads params.yaml or server.yaml when it changes on disk (editors that replace the file
   * included), 300 ms after the last event; `onResult` hears each outcome.
   */
  watch(onResult: (r: { file: 'params.yaml'; ok: true; update: ParamsUpdate } | { file: 'server.yaml'; ok: true; update: ServerUpdate } | { file: 'params.yaml' | 'server.yaml'; ok: false; error: Error }) => void): void {
    if (this.#watcher) return;
    const timers = new Map<string, NodeJS.Timeout>();
    this.#watcher = watch(this.#dir, (_event, file) => {
      const which = file === 'params.yaml' || file === 'server.yaml' ? file : null;
      if (!which) return;
      clearTimeout(timers.get(which));
      const t = setTimeout(() => {
        timers.delete(which);
        try {
          if (which === 'params.yaml') onResult({ file: which, ok: true, update: this.reloadParams() });
          else onResult({ file: which, ok: true, update: this.reloadServer() });
        } catch (error) {
          onResult({ file: which, ok: false, error: error as Error });
        }
      }, 300);
      t.unref();
      timers.set(which, t);
    });
    this.#watcher.unref();
  }

  /** Stops the file watcher. */
  close(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }

  // defaults < params.yaml < API overrides; throws SSW_ERR_CONFIG_PARAM on a bad override.
  #compose(file: ParamSet, overrides: Readonly<Record<string, string>>): ParamSet {
    let set = file;
    for (const [name, raw] of Object.entries(overrides)) set = set.with(name, raw);
    return set;
  }

  #wanted(): ParamSet {
    return this.#compose(this.#file, this.#overrides);
  }

  #wantedSource(name: string): ParamSource {
    return name in this.#overrides ? 'api' : this.#fileNames.has(name) ? 'file' : 'default';
  }

  // The one path of every change: what is wanted, minus restart-only changes once running, swapped in at once.
  #update(source: string, file: ParamSet, fileNames: ReadonlySet<string>, force: boolean): ParamsUpdate {
    const prevFile = this.#file;
    const prevFileNames = this.#fileNames;
    const wanted = this.#compose(file, this.#overrides);
    const prev = this.#params;
    const values: Record<string, ParamValue> = {};
    const applied: ValueChange[] = [];
    const overridden: { name: string; file: string; inForce: string }[] = [];
    for (const d of PARAM_DEFS) {
      const now = prev.get(d.name);
      const want = wanted.get(d.name);
      const keep = !same(d, now, want) && d.restart !== undefined && this.#running;
      values[d.name] = keep ? now : want;
      if (!keep && !same(d, now, want)) applied.push({ name: d.name, from: formatParam(d, now), to: formatParam(d, want) });
      const wasFile = prevFile.get(d.name);
      const isFile = file.get(d.name);
      if (d.name in this.#overrides && (!same(d, wasFile, isFile) || prevFileNames.has(d.name) !== fileNames.has(d.name))) {
        overridden.push({ name: d.name, file: formatParam(d, isFile), inForce: formatParam(d, values[d.name]!) });
      }
    }
    this.#file = file;
    this.#fileNames = fileNames;
    const next = applied.length === 0 ? prev : ParamSet.from(values);
    // A value pending a restart keeps the source it had; every other one comes from where it is wanted
    // (a value can stay the same and still move between file and API, e.g. an override of the file's own value).
    for (const d of PARAM_DEFS) if (!this.#pendingName(d, wanted, next)) this.#sources.set(d.name, this.#wantedSource(d.name));
    const qualityWindows = applied.length > 0 || force ? this.#install(next, force ? null : prev) : [];
    return { source, applied, pendingRestart: this.pendingParams(wanted), overridden, qualityWindows };
  }

  #pendingName(d: ParamDef, wanted: ParamSet, inForce: ParamSet): boolean {
    return d.restart !== undefined && !same(d, wanted.get(d.name), inForce.get(d.name));
  }

  // Swaps `next` in and tells each part that took a value at start; prev null = bring every part in line.
  #install(next: ParamSet, prev: ParamSet | null): string[] {
    const sw = this.#sw;
    const changed = (names: readonly string[]) => prev === null || names.some((n) => !same(findParam(n)!, prev.get(n), next.get(n)));
    this.#params = next;
    sw.b2bua.params = next;
    // Transactions keep the schedule they began with; new ones take this one.
    if (changed(['SS_SIP_RESEND_INTERVAL'])) sw.tx.timers = timerConfig(next.list('SS_SIP_RESEND_INTERVAL'));
    const e = sw.engines;
    if (e && changed(BILLING)) {
      // Reservations keep the settings they were granted with; new authorizations use these.
      e.settings = billingSettingsFrom(next);
      e.book.setSettings(e.settings);
    }
    if (e?.store && changed(QUERY)) e.store.setQueryLimits(next.num('SERVER_QUERY_CDR_MAX_DAY_INTERVAL'), next.num('SERVER_QUERY_ONE_PAGE_SIZE'));
    const policy = sw.policy;
    if (policy instanceof NetworkPolicy && changed(PARAM_DEFS.filter((d) => QUALITY.test(d.name)).map((d) => d.name))) {
      return policy.quality.reconfigure(next, monotonicMs());
    }
    return [];
  }

  #applyServer(next: ServerConfig, prev: ServerConfig): void {
    const sw = this.#sw;
    if (next.maxMessageBytes !== prev.maxMessageBytes) sw.transport.maxMessageBytes = next.maxMessageBytes;
    if (next.udpMtu !== prev.udpMtu) sw.tx.udpMtu = next.udpMtu;
    if (next.userAgent !== prev.userAgent) sw.tx.server = next.userAgent;
    if (next.logLevel !== prev.logLevel) logger.level = next.logLevel ?? this.#initialLogLevel;
  }

  #state(def: ParamDef, wanted: ParamSet): ParamState {
    const value = this.#params.get(def.name);
    const want = wanted.get(def.name);
    const s: ParamState = { def, value, source: this.#sources.get(def.name) ?? 'default', applies: appliesOf(def) };
    return same(def, value, want) ? s : { ...s, pending: want };
  }

  #persist(overrides: Record<string, string>): void {
    if (!this.#overridesPath) return;
    mkdirSync(dirname(this.#overridesPath), { recursive: true });
    // Write then rename: a crash mid-write never leaves a half file that would block the next start.
    const tmp = `${this.#overridesPath}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(overrides, null, 2)}\n`);
    renameSync(tmp, this.#overridesPath);
  }

  #log(u: ParamsUpdate): void {
    const fields = { source: u.source, applied: u.applied.map((c) => `${c.name}: ${c.from} -> ${c.to}`) };
    if (u.applied.length > 0) log.info({ ...fields, qualityWindows: u.qualityWindows.length > 0 ? u.qualityWindows : undefined }, 'parameters in force for new calls');
    else log.info({ source: u.source }, 'parameters reloaded: nothing changed');
    for (const p of u.pendingRestart) log.warn({ source: u.source, param: p.name, inForce: p.from, wanted: p.to, why: p.why }, `${p.name} needs a restart: ${p.from} stays in force, ${p.to} applies after the restart`);
    for (const o of u.overridden) log.warn({ source: u.source, param: o.name, file: o.file, inForce: o.inForce }, `${o.name} changed in params.yaml but an admin API override keeps ${o.inForce} (ssw params reset ${o.name} to follow the file)`);
  }
}

function same(def: ParamDef, a: ParamValue, b: ParamValue): boolean {
  return formatParam(def, a) === formatParam(def, b);
}

function fieldOf(cfg: ServerConfig, key: string): unknown {
  return (cfg as unknown as Record<string, unknown>)[key];
}

function showField(v: unknown): string {
  return v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v);
}

function readOverrides(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw overridesInvalid(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw overridesInvalid(`${path}: expected an object of parameter names to values`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}
