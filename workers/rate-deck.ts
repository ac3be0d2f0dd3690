/**
 * Piscina task module for rate groups, so that no per-row work runs on the event-loop thread:
 *  - deck: parses, validates and packs a rate deck (merged into a base group in merge mode), and
 *    sends its rows to the store's port (the SQLite writer thread) while it reads;
 *  - edit: a group with rows put or taken out (editPacked over the live group's shared arrays);
 *  - load: packs every stored group from the rows the store posts (start-up);
 *  - dump: sends a packed group's rows to the store's port (a config-folder group stored whole).
 * Packed results are on SharedArrayBuffers: they reach the main thread without a copy, and the
 * live group can be the base of the next edit without one either.
 */
import { setPriority } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import {
  editPacked, importRateDeck, packRateRows, packedRow, rateRowProblem,
  type PackedRates, type RateDeckError, type RateRow, type RowKey,
} from '../src/billing/index.js';
import type { RateRowsMessage, RateTuple } from '../src/store/index.js';
import { rowFromTuple, storeTuple } from '../src/rates/tuple.js';

// Background work: on a busy machine the event-loop thread (calls) should win the CPU over it.
// On Linux the nice value is per thread, so this lowers this worker only.
try {
  setPriority(10);
} catch {
  // not permitted here: run at the default priority
}

export interface DeckTask {
  readonly kind: 'deck';
  readonly csv: Uint8Array;
  readonly maxErrors: number;
  /** Merge mode: the group's current rows (shared arrays: read in place). */
  readonly base?: PackedRates;
  /** Progress for the caller (RateDeckMessage). */
  readonly port: MessagePort;
  /** The rows for the store (Store.replaceRates' port); ends with commit true only for a deck taken. */
  readonly store: MessagePort;
}

export interface EditTask {
  readonly kind: 'edit';
  readonly base: PackedRates;
  readonly put: readonly RateRow[];
  readonly remove: readonly RowKey[];
}

export interface LoadTask {
  readonly kind: 'load';
  /** Store.readRates' rows. */
  readonly port: MessagePort;
}

export interface DumpTask {
  readonly kind: 'dump';
  readonly packed: PackedRates;
  readonly store: MessagePort;
}

/** A deck from the config folder: parsed, validated and packed, nothing stored. */
export interface ParseTask {
  readonly kind: 'parse';
  readonly csv: Uint8Array;
  readonly maxErrors: number;
}

export type RateTask = DeckTask | EditTask | LoadTask | DumpTask | ParseTask;

/** Messages on a deck task's port: the line count first, then rows read every 10,000, then done (the last, always). */
export type RateDeckMessage =
  | { readonly type: 'total'; readonly lines: number }
  | { readonly type: 'progress'; readonly rowsRead: number }
  | { readonly type: 'done' };

export type RateDeckOutcome =
  | { readonly ok: true; readonly packed: PackedRates; readonly deckRows: number; readonly ms: number }
  | { readonly ok: false; readonly errors: RateDeckError[] };

/** A stored group packed, or why its rows were refused. */
export type LoadedGroup = { readonly name: string; readonly packed: PackedRates } | { readonly name: string; readonly error: string };

/** Rows per message to the store: about 0.5 MB of JSON. */
const STORE_BATCH = 5000;

export default async function run(task: RateTask): Promise<RateDeckOutcome | PackedRates | LoadedGroup[] | number> {
  switch (task.kind) {
    case 'deck': return deck(task);
    case 'edit': return editPacked(task.base, task.put, task.remove, { shared: true });
    case 'load': return load(task.port);
    case 'dump': return dump(task.packed, task.store, true);
    case 'parse': {
      const r = importRateDeck(Buffer.from(task.csv.buffer, task.csv.byteOffset, task.csv.byteLength), { maxErrors: task.maxErrors, shared: true });
      return r.ok ? { ok: true, packed: r.packed, deckRows: r.deckRows, ms: 0 } : r;
    }
  }
}

function deck(task: DeckTask): RateDeckOutcome {
  const t0 = performance.now();
  const csv = Buffer.from(task.csv.buffer, task.csv.byteOffset, task.csv.byteLength);
  // data lines (for a progress bar's total): newlines, plus a last line without one
  let lines = 0;
  for (let i = csv.indexOf(10); i !== -1; i = csv.indexOf(10, i + 1)) lines++;
  if (csv.length > 0 && csv[csv.length - 1] !== 10) lines++;
  task.port.postMessage({ type: 'total', lines: Math.max(0, lines - 1) } satisfies RateDeckMessage);
  const merge = task.base !== undefined && task.base.count > 0;
  // the store waits for an end: it is always posted (a closed port may not reach it while this thread sleeps between tasks)
  let ended = false;
  const end = (commit: boolean): void => {
    ended = true;
    task.store.postMessage({ end: true, commit } satisfies RateRowsMessage);
  };
  try {
    const r = importRateDeck(csv, {
      maxErrors: task.maxErrors, base: merge ? task.base : undefined, shared: true,
      onProgress: (rowsRead) => task.port.postMessage({ type: 'progress', rowsRead } satisfies RateDeckMessage),
      // replace mode: the store takes the rows while the rest of the deck is read (and rolls back if a later row is bad)
      onRows: merge ? undefined : (rows: readonly RateRow[]) => task.store.postMessage({ rows: JSON.stringify(rows.map(storeTuple)) } satisfies RateRowsMessage),
    });
    if (!r.ok) {
      end(false);
      return { ok: false, errors: r.errors };
    }
    // merge mode: the merged group's rows, now that it is known
    if (merge) dump(r.packed, task.store, false);
    end(true);
    return { ok: true, packed: r.packed, deckRows: r.deckRows, ms: performance.now() - t0 };
  } finally {
    if (!ended) end(false);
    task.store.close();
    task.port.postMessage({ type: 'done' } satisfies RateDeckMessage);
    task.port.close();
  }
}

/** Posts a packed group's rows to a store port in batches; `end`: then commit and close. Returns the rows posted. */
function dump(p: PackedRates, port: MessagePort, end: boolean): number {
  let batch: RateTuple[] = [];
  for (let s = 0; s < p.slots; s++) {
    for (let i = p.slotStart[s]!; i < p.slotStart[s + 1]!; i++) {
      batch.push(storeTuple(packedRow(p, s, i)));
      if (batch.length === STORE_BATCH) {
        port.postMessage({ rows: JSON.stringify(batch) } satisfies RateRowsMessage);
        batch = [];
      }
    }
  }
  if (batch.length > 0) port.postMessage({ rows: JSON.stringify(batch) } satisfies RateRowsMessage);
  if (end) {
    port.postMessage({ end: true, commit: true } satisfies RateRowsMessage);
    port.close();
  }
  return p.count;
}

/** Every stored group, packed, from Store.readRates' messages; a group with a bad row is reported, not packed. */
async function load(port: MessagePort): Promise<LoadedGroup[]> {
  const rows = new Map<string, RateRow[]>();
  const bad = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    port.on('message', (m: RateRowsMessage) => {
      if ('groups' in m) for (const g of m.groups) rows.set(g, []);
      else if ('rows' in m) {
        for (const [group, ...t] of JSON.parse(m.rows) as Array<[string, ...RateTuple]>) {
          if (bad.has(group)) continue;
          const row = rowFromTuple(t as RateTuple);
          const problem = rateRowProblem(row);
          let list = rows.get(group);
          if (!list) rows.set(group, (list = []));
          if (problem === null) list.push(row);
          else bad.set(group, `row ${list.length + 1} (${row.prefix}): ${problem}`);
        }
      } else {
        port.close();
        resolve();
      }
    });
    port.once('close', () => reject(new Error('the store closed the rows port before the end')));
  });
  const out: LoadedGroup[] = [];
  for (const [name, list] of rows) {
    const why = bad.get(name);
    if (why !== undefined) {
      out.push({ name, error: why });
      continue;
    }
    const packed = packRateRows(list, undefined, { shared: true });
    rows.set(name, []); // the row objects are garbage from here
    const clash = sameTime(packed);
    out.push(clash === null ? { name, packed } : { name, error: clash });
  }
  return out;
}

/** Two rows of one prefix with the same effective time (adjacent once packed), or null. */
function sameTime(p: PackedRates): string | null {
  for (let s = 0; s < p.slots; s++) {
    for (let i = p.slotStart[s]! + 1; i < p.slotStart[s + 1]!; i++) {
      if (p.effectiveFrom[i] === p.effectiveFrom[i - 1]) return `two rows for prefix ${packedRow(p, s, i).prefix} take effect at the same time`;
    }
  }
  return null;
}
