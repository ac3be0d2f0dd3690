/**
 * The rates room's door: rate-deck imports (worker pool -> store -> atomic swap), rate groups and
 * rates in the store, and loading stored groups at start.
 */
import type { AccountBook } from '../billing/index.js';
import type { Store } from '../store/index.js';
import { RateImporter } from './importer.js';
import { storedGroupNames } from './rate-store.js';

export {
  RateImporter, RatesErrors, checkGroupName, packDecks,
  type ImportMode, type ImportPhase, type ImportStatus, type RateImporterOptions, type RowChange,
} from './importer.js';
export {
  storedGroupNames, isStoredGroup, createStoredGroup, deleteStoredGroup, listStoredRates,
  getStoredRate, exportStoredGroupCsv, rowFromStore, type RatePage,
} from './rate-store.js';
export { storeTuple, rowFromTuple } from './tuple.js';

/**
 * Puts every rate group stored in the store into the book, over a group of the same name from
 * the config folder (a deck imported through the API is newer than the file). The store reads the
 * rows (on the SQLite writer thread) and a pool worker packs them: the event loop only swaps the
 * groups in. A stored group that fails validation is logged and skipped, so the switch still starts.
 */
export async function loadStoredRateGroups(store: Store, book: AccountBook): Promise<string[]> {
  // most switches store no group: no worker to start then
  if ((await storedGroupNames(store)).length === 0) return [];
  const loader = new RateImporter({ store, book });
  try {
    return await loader.loadStored();
  } finally {
    await loader.close();
  }
}
