import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ParamSet, PARAM_DEFS, findParam, formatParam, parseParam, describeParamRange, type ParamDef, type ParamValue } from '../config/index.js';
import { timerConfig } from '../sip/index.js';
import { isSswError } from '../util/errors.js';
import type { Softswitch } from '../switch.js';
import { adminErrors } from './errors.js';

export const OVERRIDES_FILE = 'params-overrides.json';

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
}

/**
 * Live parameter changes: validated through the registry, swapped into the B2BUA for new calls
 * (calls in progress keep their set), persisted to `<dataDir>/params-overrides.json` as the
 * operator would write them, and re-applied at the next start.
 */
export class ParamAdmin {
  readonly #sw: Softswitch;
  readonly #path: string;
  readonly #overrides: Record<string, string>;

  constructor(sw: Softswitch, dataDir: string) {
    this.#sw = sw;
    this.#path = join(dataDir, OVERRIDES_FILE);
    this.#overrides = readOverrides(this.#path);
  }

  /** Applies the persisted overrides to the switch (throws SSW_ERR_ADMIN_PARAM_OVERRIDES naming a bad entry). */
  applyPersisted(): void {
    let set = this.#sw.b2bua.params;
    for (const [name, raw] of Object.entries(this.#overrides)) {
      try {
        set = set.with(name, raw);
      } catch (err) {
        throw adminErrors.overrides(`${this.#path}: ${isSswError(err) ? err.message : String(err)} (fix or remove the entry)`);
      }
    }
    this.#install(set);
  }

  list(): ParamView[] {
    return PARAM_DEFS.map((d) => this.#view(d));
  }

  /** One parameter's view; throws SSW_ERR_ADMIN_UNKNOWN_PARAM with a suggestion. */
  get(name: string): ParamView {
    return this.#view(this.#def(name));
  }

  /** Changes a parameter for new calls and persists it; throws SSW_ERR_ADMIN_PARAM_INVALID naming the range. */
  set(name: string, raw: unknown): ParamView {
    const def = this.#def(name);
    let next: ParamSet;
    try {
      next = this.#sw.b2bua.params.with(name, raw);
    } catch (err) {
      throw adminErrors.paramInvalid(isSswError(err) ? err.message : String(err), { param: name, range: describeParamRange(def) });
    }
    this.#overrides[name] = formatParam(def, next.get(name));
    this.#persist();
    this.#install(next);
    return this.#view(def);
  }

  /** Drops the API override: the value from params.yaml (or the default) is in force again for new calls. */
  reset(name: string): ParamView {
    const def = this.#def(name);
    const next = this.#sw.b2bua.params.with(name, this.#sw.config.paramSet.get(name));
    delete this.#overrides[name];
    this.#persist();
    this.#install(next);
    return this.#view(def);
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

  #install(set: ParamSet): void {
    const sw = this.#sw;
    sw.b2bua.params = set;
    // The transaction layer took its retransmission schedule at construction: hand it the new one.
    sw.tx.timers = timerConfig(set.list('SS_SIP_RESEND_INTERVAL'));
  }

  #view(d: ParamDef): ParamView {
    const value = this.#sw.b2bua.params.get(d.name);
    const dflt = ParamSet.defaults().get(d.name);
    const fileValue = this.#sw.config.paramSet.get(d.name);
    const source = d.name in this.#overrides ? 'api' : formatParam(d, fileValue) !== formatParam(d, dflt) ? 'file' : 'default';
    const v: ParamView = {
      name: d.name, value, text: formatParam(d, value), default: dflt, defaultText: formatParam(d, dflt),
      type: d.type, range: describeParamRange(d), description: d.description, area: d.area, status: d.status,
      nullable: d.nullable === true, source,
    };
    if (d.min !== undefined) v.min = d.min;
    if (d.max !== undefined) v.max = d.max;
    if (d.values) v.values = [...d.values];
    if (d.unit) v.unit = d.unit;
    return v;
  }

  #persist(): void {
    const dir = join(this.#path, '..');
    mkdirSync(dir, { recursive: true });
    // Write then rename: a crash mid-write never leaves a half file that would block the next start.
    const tmp = `${this.#path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.#overrides, null, 2)}\n`);
    renameSync(tmp, this.#path);
  }
}

function readOverrides(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw adminErrors.overrides(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw adminErrors.overrides(`${path}: expected an object of parameter names to values`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}
