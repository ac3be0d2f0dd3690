import type { Kysely } from 'kysely';
import type { Account, DialRule, MappingGateway, NetworkConfig, RoutingGateway, Transport } from '../config/types.js';
import type { StoreKind } from './connect.js';
import { formatMinor, toMinor } from './money.js';

/** A rate row as the store keeps it; money as decimal strings, as in config files. */
export interface StoredRate {
  readonly rateGroup: string;
  readonly prefix: string;
  readonly areaName: string;
  /** Per minute, decimal string. */
  readonly rate: string;
  readonly connectionFee: string;
  readonly firstPeriod: number;
  readonly nextPeriod: number;
  /** Epoch ms from which the row applies. */
  readonly effectiveTime: number;
  readonly locked: boolean;
}

export interface StoredDialPlan {
  readonly name: string;
  readonly rules: readonly DialRule[];
}

export interface StoredPhone {
  readonly number: string;
  readonly account: string;
  /** `md5:<HA1>` as the phones room stores it (a clear password imported from a file is hashed on load). */
  readonly password: string;
  readonly locked: boolean;
  readonly username?: string;
  readonly capacity?: number;
  readonly calleeRules?: readonly DialRule[];
  readonly callerRules?: readonly DialRule[];
}

/** Everything import/export moves: the config NetworkConfig plus the entities it does not hold yet. */
export interface StoredNetwork extends Omit<NetworkConfig, 'phones'> {
  readonly rateGroups?: readonly string[];
  readonly rates?: readonly StoredRate[];
  readonly dialPlans?: readonly StoredDialPlan[];
  readonly phones?: readonly StoredPhone[];
  /** System parameters by VOS3000 name (values JSON-encoded in the store). */
  readonly parameters?: Readonly<Record<string, unknown>>;
}

// Fields a config type gains later land in `extra` (JSON) so a round trip never drops them.
function extraOf(o: object, known: readonly string[]): string | null {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!known.includes(k)) rest[k] = v;
  return Object.keys(rest).length ? JSON.stringify(rest) : null;
}
const extraBack = (v: unknown): Record<string, unknown> => (v ? (JSON.parse(String(v)) as Record<string, unknown>) : {});
const flag = (v: unknown) => Number(v) !== 0;
const json = (v: unknown) => JSON.parse(String(v));

const MG_KNOWN = ['name', 'remoteIps', 'account', 'locked', 'capacity', 'cps', 'allowGroups', 'denyGroups', 'calleeRules', 'callerRules'];
const RG_KNOWN = ['name', 'id', 'address', 'port', 'transport', 'localIp', 'prefixes', 'prefixPriority', 'priority', 'weight', 'groups', 'locked', 'capacity', 'cps', 'calleeRules', 'callerRules', 'timeouts'];
const PH_KNOWN = ['number', 'account', 'password', 'locked'];
const AC_KNOWN = ['id', 'name', 'prepaid', 'balance', 'creditLimit', 'rateGroup', 'locked', 'capacity'];
const TABLES = ['accounts', 'mapping_gateways', 'routing_gateways', 'rate_groups', 'rates', 'dial_plans', 'phones'];

/** Replaces every configuration entity in the store with `net`, in one transaction. */
export async function writeNetwork(db: Kysely<any>, kind: StoreKind, net: StoredNetwork): Promise<void> {
  const money = (s: string) => (kind === 'sqlite' ? toMinor(s) : toMinor(s).toString());
  await db.transaction().execute(async (tx) => {
    // rate groups imported through the API stay unless the network being written carries rates itself
    const keepRates = net.rateGroups === undefined && net.rates === undefined;
    for (const t of TABLES) if (!keepRates || (t !== 'rate_groups' && t !== 'rates')) await tx.deleteFrom(t).execute();
    for (const a of net.accounts) {
      await tx.insertInto('accounts').values({
        id: a.id, name: a.name, prepaid: a.prepaid ? 1 : 0, balance: money(a.balance), credit_limit: money(a.creditLimit),
        rate_group: a.rateGroup, locked: a.locked ? 1 : 0, capacity: a.capacity, extra: extraOf(a, AC_KNOWN),
      }).execute();
    }
    for (const g of net.mappingGateways) {
      await tx.insertInto('mapping_gateways').values({
        name: g.name, account: g.account, locked: g.locked ? 1 : 0, capacity: g.capacity, cps: g.cps,
        remote_ips: JSON.stringify(g.remoteIps), allow_groups: JSON.stringify(g.allowGroups), deny_groups: JSON.stringify(g.denyGroups),
        callee_rules: JSON.stringify(g.calleeRules), caller_rules: JSON.stringify(g.callerRules), extra: extraOf(g, MG_KNOWN),
      }).execute();
    }
    for (const g of net.routingGateways) {
      await tx.insertInto('routing_gateways').values({
        name: g.name, gw_id: g.id, address: g.address, port: g.port, transport: g.transport, local_ip: g.localIp,
        prefixes: JSON.stringify(g.prefixes), prefix_priority: g.prefixPriority, priority: g.priority, weight: g.weight,
        groups_json: JSON.stringify(g.groups), locked: g.locked ? 1 : 0, capacity: g.capacity, cps: g.cps,
        callee_rules: JSON.stringify(g.calleeRules), caller_rules: JSON.stringify(g.callerRules),
        timeouts: JSON.stringify(g.timeouts), extra: extraOf(g, RG_KNOWN),
      }).execute();
    }
    for (const n of net.rateGroups ?? []) await tx.insertInto('rate_groups').values({ name: n }).execute();
    const rates = net.rates ?? [];
    for (let i = 0; i < rates.length; i += 500) {
      await tx.insertInto('rates').values(rates.slice(i, i + 500).map((r) => ({
        rate_group: r.rateGroup, prefix: r.prefix, area_name: r.areaName, rate: money(r.rate), connection_fee: money(r.connectionFee),
        first_period: r.firstPeriod, next_period: r.nextPeriod, effective_time: r.effectiveTime, locked: r.locked ? 1 : 0,
      }))).execute();
    }
    for (const d of net.dialPlans ?? []) await tx.insertInto('dial_plans').values({ name: d.name, rules: JSON.stringify(d.rules) }).execute();
    for (const p of net.phones ?? []) {
      await tx.insertInto('phones').values({ number: p.number, account: p.account, password: p.password, locked: p.locked ? 1 : 0, extra: extraOf(p, PH_KNOWN) }).execute();
    }
    if (net.parameters) {
      await tx.deleteFrom('parameters').execute();
      for (const [name, value] of Object.entries(net.parameters)) {
        await tx.insertInto('parameters').values({ name, value: JSON.stringify(value) }).execute();
      }
    }
  });
}

/** Reads every configuration entity back in the shape writeNetwork takes (sorted by name/id). */
export async function readNetwork(db: Kysely<any>): Promise<StoredNetwork> {
  const accounts: Account[] = (await db.selectFrom('accounts').selectAll().orderBy('id').execute()).map((r) => ({
    kind: 'customer' as const, expiresAt: '',
    ...extraBack(r.extra),
    id: String(r.id), name: String(r.name), prepaid: flag(r.prepaid), balance: formatMinor(BigInt(r.balance)),
    creditLimit: formatMinor(BigInt(r.credit_limit)), rateGroup: String(r.rate_group), locked: flag(r.locked), capacity: Number(r.capacity),
  }));
  const mappingGateways: MappingGateway[] = (await db.selectFrom('mapping_gateways').selectAll().orderBy('name').execute()).map((r) => ({
    strategy: { first: [], second: [] }, leastCostRouting: false, errorCodes: {}, carrierCodes: [],
    ...extraBack(r.extra),
    name: String(r.name), remoteIps: json(r.remote_ips), account: String(r.account), locked: flag(r.locked),
    capacity: Number(r.capacity), cps: Number(r.cps), allowGroups: json(r.allow_groups), denyGroups: json(r.deny_groups),
    calleeRules: json(r.callee_rules), callerRules: json(r.caller_rules),
  }));
  const routingGateways: RoutingGateway[] = (await db.selectFrom('routing_gateways').selectAll().orderBy('name').execute()).map((r) => ({
    probeSeconds: 0, account: '', requireRate: false, switchOnCodes: [], schedules: [],
    ...extraBack(r.extra),
    name: String(r.name), id: Number(r.gw_id), address: String(r.address), port: Number(r.port), transport: String(r.transport) as Transport,
    localIp: String(r.local_ip), prefixes: json(r.prefixes), prefixPriority: Number(r.prefix_priority), priority: Number(r.priority),
    weight: Number(r.weight), groups: json(r.groups_json), locked: flag(r.locked), capacity: Number(r.capacity), cps: Number(r.cps),
    calleeRules: json(r.callee_rules), callerRules: json(r.caller_rules), timeouts: json(r.timeouts),
  }));
  const rateGroups = (await db.selectFrom('rate_groups').select('name').orderBy('name').execute()).map((r) => String(r.name));
  const rates: StoredRate[] = (await db.selectFrom('rates').selectAll().orderBy('rate_group').orderBy('prefix').orderBy('effective_time').execute()).map((r) => ({
    rateGroup: String(r.rate_group), prefix: String(r.prefix), areaName: String(r.area_name), rate: formatMinor(BigInt(r.rate)),
    connectionFee: formatMinor(BigInt(r.connection_fee)), firstPeriod: Number(r.first_period), nextPeriod: Number(r.next_period),
    effectiveTime: Number(r.effective_time), locked: flag(r.locked),
  }));
  const dialPlans = (await db.selectFrom('dial_plans').selectAll().orderBy('name').execute()).map((r) => ({ name: String(r.name), rules: json(r.rules) }));
  const phones = (await db.selectFrom('phones').selectAll().orderBy('number').execute()).map((r) => ({
    ...extraBack(r.extra),
    number: String(r.number), account: String(r.account), password: String(r.password), locked: flag(r.locked),
  }));
  const parameters: Record<string, unknown> = {};
  for (const r of await db.selectFrom('parameters').selectAll().orderBy('name').execute()) parameters[String(r.name)] = json(r.value);
  return { accounts, mappingGateways, routingGateways, rateGroups, rates, dialPlans, phones, parameters };
}

/**
 * A change to one network entity made through the admin API, kept in the store so a restart
 * keeps it. Applied over network.yaml in `seq` order; `body` null = the entity was deleted.
 */
export interface NetworkChange {
  readonly kind: 'mapping' | 'routing' | 'account';
  readonly name: string;
  readonly body: Readonly<Record<string, unknown>> | null;
  readonly seq: number;
}

/** Every stored network change, oldest first. */
export async function readNetworkChanges(db: Kysely<any>): Promise<NetworkChange[]> {
  const rows = await db.selectFrom('network_changes').selectAll().orderBy('seq').execute();
  return rows.map((r) => ({
    kind: String(r.kind) as NetworkChange['kind'], name: String(r.name), seq: Number(r.seq),
    body: r.body === null || r.body === undefined ? null : (JSON.parse(String(r.body)) as Record<string, unknown>),
  }));
}

/** Records (replaces) the change of one entity; its seq becomes the newest. */
export async function writeNetworkChange(db: Kysely<any>, c: Omit<NetworkChange, 'seq'>): Promise<NetworkChange> {
  return db.transaction().execute(async (tx) => {
    const top = await tx.selectFrom('network_changes').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirst();
    const seq = Number(top?.m ?? 0) + 1;
    await tx.deleteFrom('network_changes').where('kind', '=', c.kind).where('name', '=', c.name).execute();
    await tx.insertInto('network_changes').values({ kind: c.kind, name: c.name, body: c.body === null ? null : JSON.stringify(c.body), seq }).execute();
    return { ...c, seq };
  });
}
