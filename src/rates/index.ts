/**
 * The rates room's door: rate-deck imports (worker pool -> store -> atomic swap), rate groups and
 * rates in the store, and loading stored groups at start.
 */
import { RateGroup, type AccountBook } from '../billing/index.js';
import type { Store } from '../store/index.js';
import { componentLogger } from '../util/log.js';
import { loadStoredGroups } from './rate-store.js';

export {
  RateImporter, RatesErrors, checkGroupName,
  type ImportMode, type ImportPhase, type ImportStatus, type RateImporterOptions,
} from './importer.js';
export {
  storedGroupNames, createStoredGroup, deleteStoredGroup, replaceStoredGroup, loadStoredGroups, listStoredRates,
  getStoredRate, putStoredRate, deleteStoredRate, exportStoredGroupCsv, rowFromStore, type RatePage,
} from './rate-store.js';

const log = componentLogger('rates');

/**
 * Puts every rate group stored in the store into the book, over a group of the same name from
 * the config folder (a deck imported through the API is newer than the file). A stored group
 * that fails validation is logged and skipped, so the switch still starts.
 */
export async function loadStoredRateGroups(store: Store, book: AccountBook): Promise<string[]> {
  const loaded: string[] = [];
  for (const [name, rows] of await loadStoredGroups(store)) {
    try {
      book.setRateGroup(new RateGroup(name, rows));
      loaded.push(name);
    } catch (err) {
      log.error({ err: (err as Error).message, group: name }, 'stored rate group refused; the config folder\'s deck (if any) stays');
    }
  }
  return loaded;
}
