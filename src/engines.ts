import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LoadedConfig } from './config/index.js';
import { AccountBook, RateGroup, billingSettingsFrom, money, parseRateDeck, type BillingSettings } from './billing/index.js';
import { openStore, resolveStoreUrl, type Store } from './store/index.js';
import { lazySink, openCdrPipeline, type CdrPipeline } from './cdr/index.js';
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
  const sink = store ?? lazySink(() => openStore(url, { timeZone }));
  const cdr = await openCdrPipeline({ dataDir, store: sink, timeZone });
  const settings = billingSettingsFrom(cfg.paramSet);
  // Prepaid calls reserve their balance a slice at a time, so one account's parallel calls share it.
  const book = new AccountBook({ settings, grantSeconds: BALANCE_SLICE_SECONDS });
  for (const name of new Set(cfg.network.accounts.map((a) => a.rateGroup).filter((g) => g))) book.setRateGroup(loadRateGroup(cfg.dir, name));
  const balances = store ? await store.ensureAccounts(cfg.network.accounts) : new Map<string, bigint>();
  for (const a of cfg.network.accounts) {
    book.addAccount({
      id: a.id, kind: a.kind, prepaid: a.prepaid, balance: balances.get(a.id) ?? money(a.balance), creditLimit: money(a.creditLimit),
      expiresAt: a.expiresAt ? Date.parse(a.expiresAt) : null, locked: a.locked, maxConcurrent: a.capacity, rateGroup: a.rateGroup || null,
    });
  }
  return {
    store, cdr, book, settings,
    async close(drainMs: number) {
      await cdr.close(drainMs);
      await store?.close();
    },
  };
}

/** A rate group is the CSV deck `rates/<name>.csv` in the config folder. */
function loadRateGroup(configDir: string, name: string): RateGroup {
  const file = join(configDir, 'rates', `${name}.csv`);
  if (!existsSync(file)) throw new SswError('SSW_ERR_CONFIG_INVALID', `rate group '${name}' is used by an account but ${file} does not exist`, 400);
  const r = parseRateDeck(readFileSync(file));
  if (!r.ok) throw new SswError('SSW_ERR_CONFIG_INVALID', `${file}: ${r.errors.slice(0, 5).map((e) => `line ${e.line}: ${e.reason}`).join('; ')}`, 400);
  return new RateGroup(name, r.rows);
}
