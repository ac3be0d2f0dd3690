import { ParamSet, findParam, formatParam, parseParam, describeParamRange, type ParamDef, type ParamValue } from '../config/index.js';
import { OVERRIDES_FILE, type ParamState, type ParamsUpdate, type ServerFieldState, type ServerUpdate } from '../live-config.js';
import { isSswError } from '../util/errors.js';
import type { Softswitch } from '../switch.js';
import { adminErrors } from './errors.js';

export { OVERRIDES_FILE };

/** One parameter as the API shows it. */
export interface ParamView {
  name: string;
  value: ParamValue;
  text: string;
  default: ParamValue;
  defaultText: string;
  type: string;
  range: string;
  min?: number;
  max?: number;
  values?: string[];
  unit?: string;
  description: string;
  area: string;
  status: 'used' | 'planned';
  nullable: boolean;
  /** Where the value in force comes from: the registry default, params.yaml, or the admin API. */
  source: 'default' | 'file' | 'api';
  /** 'live': a change applies to new calls at once; 'restart': it waits for a restart. */
  applies: 'live' | 'restart';
  /** A restart-only parameter's new value, waiting for the restart (the value above stays in force). */
  pending?: ParamValue;
  pendingText?: string;
  /** Why a restart-only parameter needs the restart. */
  restartWhy?: string;
}

/** A reload or change as the API answers it. */
export interface ParamsUpdateView extends ParamsUpdate {
  /** Parameters changed for new calls (names), then what waits for a restart. */
  readonly message: string;
}

/**
 * The admin API's side of the live parameters (Softswitch.live): views for the API, the one-name
 * change and reset (persisted to `<dataDir>/params-overrides.json`, re-applied at the next
 * start), and the reload of params.yaml and server.yaml.
 */
export class ParamAdmin {
  readonly #sw: Softswitch;
  /** Where params-overrides.json lives. */
  readonly dataDir: string;

  constructor(sw: Softswitch, dataDir: string) {
    this.#sw = sw;
    this.dataDir = dataDir;
  }

  /** Applies the persisted overrides to the switch (throws SSW_ERR_ADMIN_PARAM_OVERRIDES naming a bad entry). */
  applyPersisted(): void {
    this.#sw.live.useOverridesFile(this.dataDir);
  }

  list(): ParamView[] {
    return this.#sw.live.paramStates().map(view);
  }

  /** One parameter's view; throws SSW_ERR_ADMIN_UNKNOWN_PARAM with a suggestion. */
  get(name: string): ParamView {
    this.#def(name);
    return view(this.#sw.live.paramState(name)!);
  }

  /**
   * Changes a parameter and persists it: a live one for new calls at once, a restart-only one at the
   * next start (the view's `pending`); throws SSW_ERR_ADMIN_PARAM_INVALID naming the range.
   */
  set(name: string, raw: unknown): ParamView {
    const def = this.#def(name);
    try {
      this.#sw.live.setOverride(name, raw);
    } catch (err) {
      if (isSswError(err) && err.code === 'SSW_ERR_CONFIG_PARAM') throw adminErrors.paramInvalid(err.message, { param: name, range: describeParamRange(def) });
      throw err;
    }
    return this.get(name);
  }

  /** Drops the API override: the value from params.yaml (or the default) is in force again for new calls. */
  reset(name: string): ParamView {
    this.#def(name);
    this.#sw.live.resetOverride(name);
    return this.get(name);
  }

  /** Re-reads params.yaml (as SIGHUP does); a bad file throws SSW_ERR_CONFIG_PARAM (400) and changes nothing. */
  reload(): ParamsUpdateView {
    return withMessage(this.#sw.live.reloadParams());
  }

  /** server.yaml fields in force. */
  server(): { fields: ServerFieldState[] } {
    return { fields: this.#sw.live.serverStates() };
  }

  /** Re-reads server.yaml; a bad file throws SSW_ERR_CONFIG_INVALID (400) and changes nothing. */
  reloadServer(): ServerUpdate & { message: string } {
    const u = this.#sw.live.reloadServer();
    return { ...u, message: describe(u.applied.map((c) => c.name), u.pendingRestart.map((p) => p.name)) };
  }

  #def(name: string): ParamDef {
    const def = findParam(name);
    if (!def) {
      // parseParam words the unknown-name message, with its "did you mean" suggestion.
      const r = parseParam(name, null);
      throw adminErrors.unknownParam(r.ok ? `unknown parameter ${name}` : r.message, { param: name });
    }
    return def;
  }
}

function withMessage(u: ParamsUpdate): ParamsUpdateView {
  let m = describe(u.applied.map((c) => c.name), u.pendingRestart.map((p) => p.name));
  if (u.overridden.length > 0) m += `; kept by an admin API override: ${u.overridden.map((o) => o.name).join(', ')}`;
  return { ...u, message: m };
}

function describe(applied: readonly string[], pending: readonly string[]): string {
  const a = applied.length > 0 ? `in force for new calls: ${applied.join(', ')}` : 'nothing changed';
  return pending.length > 0 ? `${a}; needs a restart (the value in force stays): ${pending.join(', ')}` : a;
}

function view(s: ParamState): ParamView {
  const d = s.def;
  const dflt = ParamSet.defaults().get(d.name);
  const v: ParamView = {
    name: d.name, value: s.value, text: formatParam(d, s.value), default: dflt, defaultText: formatParam(d, dflt),
    type: d.type, range: describeParamRange(d), description: d.description, area: d.area, status: d.status,
    nullable: d.nullable === true, source: s.source, applies: s.applies,
  };
  if (d.min !== undefined) v.min = d.min;
  if (d.max !== undefined) v.max = d.max;
  if (d.values) v.values = [...d.values];
  if (d.unit) v.unit = d.unit;
  if (d.restart) v.restartWhy = d.restart;
  if (s.pending !== undefined) {
    v.pending = s.pending;
    v.pendingText = formatParam(d, s.pending);
  }
  return v;
}
