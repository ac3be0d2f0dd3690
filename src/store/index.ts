/** The store room's door: one data layer over embedded SQLite and MySQL/MariaDB. */
export {
  Store, openStore, importNetwork, exportNetwork,
  type StoreOptions, type CdrRange, type CdrQuery, type CdrPage, type CdrEntry, type EncodedEntries, type BatchResult, type LedgerRow, type WriteBatchOptions,
} from './store.js';
export { parseStoreUrl, type StoreKind } from './connect.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export { MONEY_SCALE, toMinor, formatMinor } from './money.js';
export { DayNamer, cdrTableName } from './day.js';
export { StoreErrors } from './errors.js';
export type { StoredNetwork, StoredRate, StoredDialPlan, StoredPhone, NetworkChange } from './network.js';
export { resolveStoreUrl } from './url.js';
export type { RateTuple, RateRowsMessage, RateProgressMessage } from './rates.js';
export { rateTupleOf } from './rates.js';
