/**
 * Loads config/{server,params,network}.yaml, checks every field against the tables in ./schema.ts
 * and the cross-field rules below, applies environment overrides, and returns one deep-frozen
 * LoadedConfig. Every problem in every file is collected into one SswError, so an operator fixes
 * them in one pass instead of one restart per typo.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { createError } from '../util/errors.js';
import { joinErrors, ParamSet, show } from './params.js';
import {
  checkObject,
  checkValue,
  describeType,
  isBad,
  Issues,
  NETWORK_SPEC,
  SERVER_SPEC,
  type FieldSpec,
  type FieldType,
} from './schema.js';
import { suggest } from './suggest.js';
import type { LoadedConfig, NetworkConfig, ServerConfig } from './types.js';

/** A configuration file (or live change) that does not pass validation. */
export const configInvalid = createError('SSW_ERR_CONFIG_INVALID', 400);
const configParam = createError('SSW_ERR_CONFIG_PARAM', 400);

// This file runs as dist/src/config/load.js: the repository root is three levels up.
export const REPO_ROOT: string = fileURLToPath(new URL('../../../', import.meta.url));

/** One environment variable that overrides one server.yaml field (listen[0] = the first address). */
export interface EnvOverride {
  readonly name: string;
  readonly field: readonly (string | number)[];
  readonly doc: string;
}

export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { name: 'SSW_DB_URL', field: ['dbUrl'], doc: 'The store URL (e.g. `mysql://ssw:secret@10.0.0.5:3306/ssw`).' },
  { name: 'SSW_DATA_DIR', field: ['dataDir'], doc: 'The data directory.' },
  { name: 'SSW_SIP_IP', field: ['listen', 0, 'ip'], doc: 'The IP of the first listen address.' },
  { name: 'SSW_SIP_PORT', field: ['listen', 0, 'port'], doc: 'The port of the first listen address.' },
  { name: 'SSW_ADMIN_PORT', field: ['adminPort'], doc: 'The admin API port.' },
];

/** Cross-field rules the loader enforces beyond each field's own type (listed in docs/configuration.md). */
export const NETWORK_RULES: readonly string[] = [
  'Account ids are unique; mapping-gateway names are unique; routing-gateway names are unique; package ids are unique within their account.',
  'A mapping gateway\'s `account` must be the id of an entry in `accounts`.',
  'A remote IP belongs to one mapping gateway only (calls are recognised by source IP).',
  'Routing-gateway ids are unique; gateways without an id get the lowest unused id, in file order.',
  'A routing gateway\'s `localIp`, when set, must be one of the `listen` IPs in server.yaml.',
  'A routing gateway\'s `account`, when set, must be the id of an entry in `accounts`.',
  'A mapping gateway\'s `errorCodes` values are 0 (the default) or a SIP failure code 300-699.',
  'Phone numbers are unique; phone user names (the number when absent) are unique; a phone\'s `account` must be in `accounts`.',
];

export interface LoadOptions {
  /** Environment to read overrides from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Loads and validates the configuration directory (default: $SSW_CONFIG or <repo>/config); throws one SswError listing every problem. */
export function loadConfig(dir?: string, options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const root = resolve(dir ?? (env.SSW_CONFIG || join(REPO_ROOT, 'config')));
  const errors: string[] = [];
  let onlyParamErrors = true;

  const srv = readServer(root, env);
  // An unreadable server.yaml says nothing about listen IPs: skip the localIp check then.
  const serverUnreadable = srv.unreadable;
  const server = srv.server;
  errors.push(...srv.errors);
  if (srv.errors.length > 0) onlyParamErrors = false;

  const prm = readParams(root);
  errors.push(...prm.errors);
  if (prm.fileErrors) onlyParamErrors = false;
  const paramSet = prm.set ?? ParamSet.defaults();

  const netIssues = new Issues(join(root, 'network.yaml'));
  const netRaw = readYaml(netIssues, true);
  const network = netRaw === undefined ? {} : checkNetwork(netRaw, netIssues, serverUnreadable ? undefined : listenIps(server));
  collect(netIssues);

  if (errors.length > 0) {
    const make = onlyParamErrors ? configParam : configInvalid;
    throw make(joinErrors(errors), { errors });
  }
  return deepFreeze({
    dir: root,
    server: server as unknown as ServerConfig,
    params: paramSet.toJSON(),
    paramSet,
    paramNames: prm.names,
    network: network as unknown as NetworkConfig,
  });

  function collect(...all: Issues[]): void {
    for (const i of all) {
      if (i.lines.length > 0) onlyParamErrors = false;
      errors.push(...i.lines);
    }
  }
}

/** params.yaml of a config folder, read and validated whole through the registry. */
export interface ParamsFile {
  /** The file's values over the defaults; absent when any entry (or the file itself) is wrong. */
  readonly set?: ParamSet;
  /** Parameter names the file sets (empty when it is absent or wrong). */
  readonly names: readonly string[];
  /** Every problem, each `<path>/params.yaml: <NAME>: <value> <what is wrong>; allowed: <range>`. */
  readonly errors: readonly string[];
  /** True when the file could not be read or parsed at all (a YAML error), not only a bad value. */
  readonly fileErrors: boolean;
}

/** Reads `<dir>/params.yaml` as start-up does (absent = every default); never throws. */
export function readParams(dir: string): ParamsFile {
  const path = join(resolve(dir), 'params.yaml');
  const issues = new Issues(path);
  const raw = readYaml(issues, false) ?? {};
  if (issues.lines.length > 0) return { names: [], errors: issues.lines, fileErrors: true };
  const r = ParamSet.tryFrom(raw as Record<string, unknown>, path);
  if (!r.set) return { names: [], errors: r.errors, fileErrors: false };
  return { set: r.set, names: Object.keys(raw as Record<string, unknown>), errors: [], fileErrors: false };
}

/**
 * Reads params.yaml for a live reload: the validated set and the names the file sets, or throws
 * the start-up error (SSW_ERR_CONFIG_PARAM for bad values, SSW_ERR_CONFIG_INVALID for a file that
 * is not YAML), listing every problem.
 */
export function loadParams(dir: string): { set: ParamSet; names: readonly string[] } {
  const r = readParams(dir);
  if (!r.set) throw (r.fileErrors ? configInvalid : configParam)(joinErrors(r.errors), { errors: r.errors });
  return { set: r.set, names: r.names };
}

/** Reads `<dir>/server.yaml` with the environment overrides, as start-up does; never throws. */
function readServer(dir: string, env: Readonly<Record<string, string | undefined>>): { server: Obj; errors: string[]; unreadable: boolean } {
  const serverIssues = new Issues(join(resolve(dir), 'server.yaml'));
  const serverRaw = readYaml(serverIssues, false);
  const unreadable = serverIssues.lines.length > 0;
  const server = checkServer(serverRaw ?? {}, serverIssues);
  const envIssues = new Issues('environment');
  applyEnv(server, env, envIssues);
  return { server, errors: [...serverIssues.lines, ...envIssues.lines], unreadable };
}

/**
 * Reads server.yaml for a live reload, with the environment overrides applied as at start;
 * throws SSW_ERR_CONFIG_INVALID naming every bad field.
 */
export function loadServer(dir: string, env: Readonly<Record<string, string | undefined>> = process.env): ServerConfig {
  const r = readServer(dir, env);
  if (r.errors.length > 0) throw configInvalid(joinErrors(r.errors), { errors: r.errors });
  return deepFreeze(r.server) as unknown as ServerConfig;
}

/** Checks a parsed server.yaml (env overrides not applied); throws SSW_ERR_CONFIG_INVALID naming each bad field. */
export function validateServer(raw: unknown, source: string): ServerConfig {
  const issues = new Issues(source);
  const server = checkServer(raw ?? {}, issues);
  throwIf(issues);
  return deepFreeze(server) as unknown as ServerConfig;
}

/**
 * Checks a parsed network.yaml, fills defaults and assigns missing routing-gateway ids; throws
 * SSW_ERR_CONFIG_INVALID naming each bad field. With `server`, localIp is checked against its listen IPs.
 */
export function validateNetwork(raw: unknown, source: string, server?: Pick<ServerConfig, 'listen'>): NetworkConfig {
  const issues = new Issues(source);
  const net = checkNetwork(raw ?? {}, issues, server ? server.listen.map((l) => l.ip) : undefined);
  throwIf(issues);
  return deepFreeze(net) as unknown as NetworkConfig;
}

/** Freezes an object graph in place (objects and arrays, recursively) and returns it. */
export function deepFreeze<T>(value: T, seen: WeakSet<object> = new WeakSet()): T {
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  for (const v of Object.values(value)) deepFreeze(v, seen);
  return Object.freeze(value);
}

function throwIf(issues: Issues): void {
  if (issues.lines.length > 0) throw configInvalid(joinErrors(issues.lines), { errors: issues.lines });
}

type Obj = Record<string, unknown>;

function checkServer(raw: unknown, issues: Issues): Obj {
  const s = checkObject(raw, SERVER_SPEC.fields, '', issues);
  if (isBad(s)) return {};
  const listen = (s.listen ?? []) as Obj[];
  const seen = new Map<string, number>();
  listen.forEach((l, i) => {
    if (typeof l.ip !== 'string' || typeof l.port !== 'number') return;
    const key = `${l.ip}:${l.port}`;
    const first = seen.get(key);
    if (first !== undefined) issues.add(`listen[${i}]`, `${key} is already listen[${first}]; allowed: each ip:port once`);
    else seen.set(key, i);
  });
  return s;
}

function applyEnv(server: Obj, env: Readonly<Record<string, string | undefined>>, issues: Issues): void {
  for (const o of ENV_OVERRIDES) {
    const text = env[o.name];
    if (text === undefined || text === '') continue;
    const type = typeAt(SERVER_SPEC.fields, o.field);
    // Environment values are text; integer fields take them as numbers when they look like one.
    const raw = type.t === 'int' && /^\d+$/.test(text.trim()) ? Number(text.trim()) : text;
    const v = checkValue(raw, type, o.name, issues);
    if (isBad(v)) continue;
    let target: Record<string | number, unknown> | undefined = server;
    for (const k of o.field.slice(0, -1)) target = target?.[k] as Record<string | number, unknown> | undefined;
    if (target) target[o.field[o.field.length - 1]!] = v;
  }
}

function typeAt(fields: readonly FieldSpec[], path: readonly (string | number)[]): FieldType {
  let type: FieldType = { t: 'object', fields };
  for (const k of path) {
    if (typeof k === 'number') {
      if (type.t !== 'list') throw new Error(`ENV_OVERRIDES path ${path.join('.')} indexes a non-list`);
      type = type.of;
    } else {
      if (type.t !== 'object') throw new Error(`ENV_OVERRIDES path ${path.join('.')} enters a non-mapping`);
      const f: FieldSpec | undefined = type.fields.find((x) => x.key === k);
      if (!f) throw new Error(`ENV_OVERRIDES path ${path.join('.')} names no field`);
      type = f.type;
    }
  }
  return type;
}

function listenIps(server: Obj): string[] | undefined {
  const listen = server.listen as Obj[] | undefined;
  return listen?.map((l) => l.ip).filter((ip): ip is string => typeof ip === 'string');
}

function checkNetwork(raw: unknown, issues: Issues, listen: readonly string[] | undefined): Obj {
  const net = checkObject(raw, NETWORK_SPEC.fields, '', issues);
  if (isBad(net)) return {};
  const accounts = (net.accounts ?? []) as Obj[];
  const mapping = (net.mappingGateways ?? []) as Obj[];
  const routing = (net.routingGateways ?? []) as Obj[];

  unique(accounts, 'accounts', 'id', 'an id no other account has');
  unique(mapping, 'mappingGateways', 'name', 'a name no other mapping gateway has');
  unique(routing, 'routingGateways', 'name', 'a name no other routing gateway has');
  const phones = (net.phones ?? []) as Obj[];
  for (const p of phones) if (p.username === undefined && typeof p.number === 'string') p.username = p.number;
  unique(phones, 'phones', 'number', 'a number no other phone has');
  unique(phones, 'phones', 'username', 'a user name no other phone has');
  for (const a of accounts) if (a.name === undefined && typeof a.id === 'string') a.name = a.id;
  accounts.forEach((a, i) => unique((a.packages ?? []) as Obj[], `accounts[${i}].packages`, 'id', 'an id no other package of this account has'));

  const accountIds = accounts.map((a) => a.id).filter((id): id is string => typeof id === 'string');
  const ipOwner = new Map<string, number>();
  mapping.forEach((g, i) => {
    if (typeof g.account === 'string' && !accountIds.includes(g.account)) {
      const s = suggest(g.account, accountIds);
      const known = accountIds.length === 0 ? 'none are defined' : accountIds.slice(0, 10).map((x) => JSON.stringify(x)).join(', ');
      issues.add(`mappingGateways[${i}].account`,
        `${show(g.account)} is not an account id${s ? ` (did you mean "${s}"?)` : ''}; allowed: an id from accounts (${known})`);
    }
    ((g.remoteIps ?? []) as string[]).forEach((ip, j) => {
      const owner = ipOwner.get(ip);
      if (owner !== undefined && owner !== i) {
        issues.add(`mappingGateways[${i}].remoteIps[${j}]`,
          `${show(ip)} already belongs to mappingGateways[${owner}]; allowed: an IP no other mapping gateway has`);
      } else ipOwner.set(ip, i);
    });
    const codes = (g.errorCodes ?? {}) as Record<string, number>;
    for (const [reason, code] of Object.entries(codes)) {
      if (code !== 0 && (code < 300 || code > 699)) issues.add(`mappingGateways[${i}].errorCodes.${reason}`, `${code} is not a failure code; allowed: 0 or 300-699`);
    }
  });
  routing.forEach((g, i) => {
    if (typeof g.account === 'string' && g.account !== '' && !accountIds.includes(g.account)) {
      const s = suggest(g.account, accountIds);
      issues.add(`routingGateways[${i}].account`, `${show(g.account)} is not an account id${s ? ` (did you mean "${s}"?)` : ''}; allowed: empty or an id from accounts`);
    }
  });

  phones.forEach((p, i) => {
    if (typeof p.account === 'string' && !accountIds.includes(p.account)) {
      issues.add(`phones[${i}].account`, `${show(p.account)} is not an account id; allowed: an id from accounts`);
    }
  });

  const usedIds = new Map<number, number>();
  routing.forEach((g, i) => {
    if (typeof g.id !== 'number') return;
    const first = usedIds.get(g.id);
    if (first !== undefined) issues.add(`routingGateways[${i}].id`, `${g.id} is already used by routingGateways[${first}]; allowed: an id no other routing gateway has`);
    else usedIds.set(g.id, i);
  });
  let next = 1;
  for (const g of routing) {
    if (g.id !== undefined || g.name === undefined) continue;
    while (usedIds.has(next)) next++;
    g.id = next;
    usedIds.set(next, -1);
  }
  if (listen) {
    routing.forEach((g, i) => {
      if (typeof g.localIp === 'string' && g.localIp !== '' && !listen.includes(g.localIp)) {
        issues.add(`routingGateways[${i}].localIp`,
          `${show(g.localIp)} is not a listen IP; allowed: empty or one of server.yaml listen IPs (${listen.join(', ')})`);
      }
    });
  }
  return net;

  function unique(list: Obj[], where: string, key: string, allowed: string): void {
    const first = new Map<unknown, number>();
    list.forEach((item, i) => {
      const v = item[key];
      if (v === undefined) return;
      const j = first.get(v);
      if (j !== undefined) issues.add(`${where}[${i}].${key}`, `${show(v)} is already used by ${where}[${j}]; allowed: ${allowed}`);
      else first.set(v, i);
    });
  }
}

// The parsed document ({} for an empty file), or undefined when it is absent or unreadable.
function readYaml(issues: Issues, required: boolean): unknown | undefined {
  const path = issues.source;
  if (!existsSync(path)) {
    if (required) issues.add('(file)', `not found; required: ${describeFile()}`);
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    issues.add('(file)', `cannot be read: ${(e as Error).message}`);
    return undefined;
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) issues.add('(file)', `YAML error: ${e.message.split('\n')[0]}`);
    return undefined;
  }
  return doc.toJS() ?? {};
}

function describeFile(): string {
  return `a YAML file with ${NETWORK_SPEC.fields.map((f) => f.key).join(', ')} (see docs/configuration.md)`;
}

/** What each field accepts, for callers that report a single field (e.g. the admin API). */
export function describeField(file: 'server.yaml' | 'network.yaml', path: readonly (string | number)[]): string {
  return describeType(typeAt((file === 'server.yaml' ? SERVER_SPEC : NETWORK_SPEC).fields, path));
}

/** The list in network.yaml each kind of entity lives in, and the field that names it. */
export const NETWORK_LISTS = {
  mapping: { list: 'mappingGateways', key: 'name' },
  routing: { list: 'routingGateways', key: 'name' },
  account: { list: 'accounts', key: 'id' },
} as const;
export type NetworkEntityKind = keyof typeof NETWORK_LISTS;

/**
 * The parsed network.yaml of a config folder as written (defaults not filled), for live reloads
 * and admin changes that are merged into it before the whole is validated; throws
 * SSW_ERR_CONFIG_INVALID when it is missing or not YAML.
 */
export function readNetworkRaw(dir: string): Record<string, unknown> {
  const issues = new Issues(join(resolve(dir), 'network.yaml'));
  const raw = readYaml(issues, true);
  throwIf(issues);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    issues.add('', `${show(raw)} is not a mapping; allowed fields: ${NETWORK_SPEC.fields.map((f) => f.key).join(', ')}`);
    throwIf(issues);
  }
  return raw as Record<string, unknown>;
}

/**
 * Checks one mapping gateway, routing gateway or account on its own (the admin API's body) against
 * the same field table as network.yaml; returns it with defaults filled, or throws
 * SSW_ERR_CONFIG_INVALID naming each bad field. Cross-entity rules are checked by validateNetwork.
 */
export function validateEntity(kind: NetworkEntityKind, raw: unknown, source: string): Record<string, unknown> {
  const spec = NETWORK_SPEC.fields.find((f) => f.key === NETWORK_LISTS[kind].list)!;
  const issues = new Issues(source);
  const fields = spec.type.t === 'list' && spec.type.of.t === 'object' ? spec.type.of.fields : [];
  const out = checkObject(raw, fields, '', issues);
  throwIf(issues);
  return out as Record<string, unknown>;
}
