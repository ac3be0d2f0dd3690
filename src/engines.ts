import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readNetworkRaw, type Account, type LoadedConfig, type NetworkConfig } from './config/index.js';
import { effectiveNetwork } from './live-network.js';
import { AccountBook, RateGroup, billingSettingsFrom, money, type BillingSettings, type PackageInit } from './billing/index.js';
import { openStore, resolveStoreUrl, type NetworkChange, type Store } from './store/index.js';
import { lazySink, openCdrPipeline, type CdrPipeline } from './cdr/index.js';
import { loadStoredRateGroups, packDecks } from './rates/index.js';
import { SswError } from './util/errors.js';
import { componentLogger } from './util/log.js';

const log = componentLogger('engines');

/** Seconds of talk time a prepaid call reserves at once; the reservation grows slice by slice. */
export const BALANCE_SLICE_SECONDS = 60;

/** The stateful engines behind the call policy: the store, the CDR journal, accounts and rates. */
export interface Engines {
  store: Store | null;
  cdr: CdrPipeline;
  book: AccountBook;
  settings: BillingSettings;
  /** The network in force at start: network.yaml with the stored admin changes over it. */
  network: NetworkConfig;
  /** The stored admin changes (oldest first); empty without a store. */
  changes: NetworkChange[];
  /** network.yaml as parsed here to lay the changes over it (null when there were none to lay). */
  rawNetwork: Record<string, unknown> | null;
  close(drainMs: number): Promise<void>;
}

/**
 * Opens the store (the embedded SQLite file by default), the CDR journal under the data dir, and
 * the account book seeded from the stored balances. A store that cannot be opened does not stop
 * the switch: CDRs go to the journal and drain when it comes back.
 */
export async function openEngines(cfg: LoadedConfig): Promise<Engines> {
  const dataDir = resolve(cfg.server.dataDir);
  const url = resolveStoreUrl(cfg.server.dbUrl);
  const timeZone = cfg.paramSet.str('SSW_TIME_ZONE');
  let store: Store | null = null;
  try {
    store = await openStore(url, { timeZone, maxDayInterval: cfg.paramSet.num('SERVER_QUERY_CDR_MAX_DAY_INTERVAL'), pageSize: cfg.paramSet.num('SERVER_QUERY_ONE_PAGE_SIZE') });
  } catch (err) {
    log.error({ err: (err as Error).message }, 'store unavailable at start: CDRs are journaled until it comes back');
  }
  // Admin changes live in the store: without it the switch runs the file's network alone.
  const stored = store ? await store.networkChanges() : [];
  const rawNetwork = stored.length > 0 ? readNetworkRaw(cfg.dir) : null;
  const { network, changes } = rawNetwork ? startNetwork(rawNetwork, stored, join(cfg.dir, 'network.yaml'), cfg) : { network: cfg.network, changes: stored };
  if (changes.length > 0) log.info({ changes: changes.length }, 'admin network changes applied over network.yaml');
  const sink = store ?? lazySink(() => openStore(url, { timeZone }));
  const cdr = await openCdrPipeline({ dataDir, store: sink, timeZone });
  const settings = billingSettingsFrom(cfg.paramSet);
  // Prepaid calls reserve their balance a slice at a time, so one account's parallel calls share it.
  const book = new AccountBook({ settings, grantSeconds: BALANCE_SLICE_SECONDS });
  // groups imported through the admin API live in the store and win over the config folder's decks
  if (store) await loadStoredRateGroups(store, book);
  for (const g of await rateGroupsToLoad(book, cfg.dir, network.accounts)) book.setRateGroup(g);
  const balances = store ? await store.ensureAccounts(network.accounts) : new Map<string, bigint>();
  const used = store && network.accounts.some((a) => (a.packages ?? []).length > 0) ? await store.packageUsage() : new Map<string, number>();
  for (const a of network.accounts) book.addAccount(accountInit(a, balances.get(a.id), used));
  return {
    store, cdr, book, settings, network, changes, rawNetwork,
    async close(drainMs: number) {
      await cdr.close(drainMs);
      await store?.close();
    },
  };
}

function accountInit(a: Account, stored: bigint | undefined, used: ReadonlyMap<string, number>) {
  return {
    id: a.id, kind: a.kind, prepaid: a.prepaid, balance: stored ?? money(a.balance), creditLimit: money(a.creditLimit),
    expiresAt: expiryOf(a), locked: a.locked, maxConcurrent: a.capacity, rateGroup: a.rateGroup || null,
    packages: packagesOf(a, used),
  };
}

/** The account's configured packages for the book, less what the store says they have given. */
function packagesOf(a: Account, used: ReadonlyMap<string, number>): PackageInit[] {
  return (a.packages ?? []).map((p) => ({
    id: p.id, prefixes: p.prefixes.map((x) => (x === '*' ? '' : x)), freeSeconds: p.freeSeconds,
    expiresAt: p.expiresAt ? Date.parse(p.expiresAt) : null, usedSeconds: used.get(`${a.id}\u0000${p.id}`) ?? 0,
  }));
}

function expiryOf(a: Account): number | null {
  return a.expiresAt ? Date.parse(a.expiresAt) : null;
}

/**
 * The rate groups `accounts` name that the book does not hold yet, read from the config folder and
 * parsed, validated and packed in a worker (a large deck named by a reload does not stall calls);
 * throws SSW_ERR_CONFIG_INVALID for a missing or bad deck. Changes nothing (validation step).
 */
export async function rateGroupsToLoad(book: AccountBook, configDir: string, accounts: readonly Account[]): Promise<RateGroup[]> {
  const names = [...new Set(accounts.map((a) => a.rateGroup).filter((g) => g && !book.rateGroup(g)))];
  const decks = names.map((name) => {
    const file = deckFile(configDir, name);
    if (!existsSync(file)) throw new SswError('SSW_ERR_CONFIG_INVALID', `rate group '${name}' is used by an account but ${file} does not exist`, 400);
    return { name, csv: readFileSync(file) };
  });
  return (await packDecks(decks)).map(({ name, outcome }) => {
    if (!outcome.ok) throw new SswError('SSW_ERR_CONFIG_INVALID', `${deckFile(configDir, name)}: ${outcome.errors.slice(0, 5).map((e) => `line ${e.line}: ${e.reason}`).join('; ')}`, 400);
    return RateGroup.fromPacked(name, outcome.packed);
  });
}

/**
 * Puts a changed account list in force in the book: new accounts join at their stored balance (or
 * the configured one, stored now); for known ones only the fields the configuration changed are
 * patched, so a recharge's extended expiry is not undone by an unrelated change. Removed accounts
 * stay in the book (no gateway can reach them any more; their ledger stays readable).
 */
export async function applyAccounts(e: Engines, groups: readonly RateGroup[], prev: readonly Account[], next: readonly Account[]): Promise<void> {
  for (const g of groups) e.book.setRateGroup(g);
  const before = new Map(prev.map((a) => [a.id, a]));
  const added = next.filter((a) => !e.book.has(a.id));
  const isAdded = new Set(added);
  let balances = new Map<string, bigint>();
  if (added.length > 0 && e.store) {
    try {
      balances = await e.store.ensureAccounts(added);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'store unavailable: new accounts start at their configured balance');
    }
  }
  // Packages new to the book start at what the store says they have given already (an id reused).
  const repackaged = new Set(next.filter((a) => isAdded.has(a) ? (a.packages ?? []).length > 0 : JSON.stringify(before.get(a.id)?.packages ?? []) !== JSON.stringify(a.packages ?? [])));
  let used = new Map<string, number>();
  if (repackaged.size > 0 && e.store) {
    try {
      used = await e.store.packageUsage([...repackaged].map((a) => a.id));
    } catch (err) {
      log.error({ err: (err as Error).message }, 'store unavailable: new packages start unused');
    }
  }
  for (const a of added) e.book.addAccount(accountInit(a, balances.get(a.id), used));
  for (const a of next) {
    if (isAdded.has(a)) continue;
    // An account deleted earlier and now back (still in the book): every field is set again.
    const old: Partial<Account> = before.get(a.id) ?? {};
    const patch: Record<string, unknown> = {};
    if (old.kind !== a.kind) patch.kind = a.kind;
    if (old.prepaid !== a.prepaid) patch.prepaid = a.prepaid;
    if (old.creditLimit !== a.creditLimit) patch.creditLimit = money(a.creditLimit);
    if (old.expiresAt !== a.expiresAt) patch.expiresAt = expiryOf(a);
    if (old.locked !== a.locked) patch.locked = a.locked;
    if (old.capacity !== a.capacity) patch.maxConcurrent = a.capacity;
    if (old.rateGroup !== a.rateGroup) patch.rateGroup = a.rateGroup || null;
    if (Object.keys(patch).length > 0) e.book.updateAccount(a.id, patch);
    if (repackaged.has(a)) e.book.setPackages(a.id, packagesOf(a, used));
  }
}

/** A rate group is the CSV deck `rates/<name>.csv` in the config folder. */
function deckFile(configDir: string, name: string): string {
  return join(configDir, 'rates', `${name}.csv`);
}

/**
 * network.yaml with the stored admin changes over it. When the file was edited so that some stored
 * change no longer fits (a gateway it changes is gone, an IP now taken), the switch still starts:
 * the changes that fit are applied in order, each one that does not is left out and logged with the
 * reason (it stays in the store; delete or redo it through the API, then reload). A bad file itself
 * still stops start-up, as without a store.
 */
export function startNetwork(raw: Readonly<Record<string, unknown>>, stored: readonly NetworkChange[], source: string, cfg: Pick<LoadedConfig, 'server'>): { network: NetworkConfig; changes: NetworkChange[] } {
  try {
    return { network: effectiveNetwork(raw, stored, source, cfg.server), changes: [...stored] };
  } catch (err) {
    if (!(err instanceof SswError)) throw err;
  }
  // The file alone must pass (this throws otherwise); then each change that keeps the whole valid.
  let network = effectiveNetwork(raw, [], source, cfg.server);
  const kept: NetworkChange[] = [];
  for (const c of stored) {
    try {
      network = effectiveNetwork(raw, [...kept, c], source, cfg.server);
      kept.push(c);
    } catch (err) {
      log.error({ kind: c.kind, name: c.name, seq: c.seq, reason: (err as Error).message }, 'a stored admin network change no longer fits network.yaml and is left out (it stays in the store: delete or redo it through the API)');
    }
  }
  return { network, changes: kept };
}
