/**
 * Piscina task module: parses, validates and packs a rate deck (merging it into a base group in
 * merge mode). Progress and the packed result go over the task's MessagePort, the result with its
 * buffers in the transfer list (moved, not copied); the task itself resolves with the outcome.
 */
import type { MessagePort } from 'node:worker_threads';
import { importRateDeck, packedTransferList, type PackedRates, type RateDeckError, type RateRow } from '../src/billing/index.js';
import { storeTuple } from '../src/rates/tuple.js';

export interface RateDeckTask {
  readonly csv: Uint8Array;
  readonly maxErrors: number;
  readonly base?: PackedRates;
  /** Send valid rows while reading (replace mode, so the caller stores while the worker parses). */
  readonly stream?: boolean;
  readonly port: MessagePort;
}

/** Messages on the port: the line count first, rows read every 10,000, then the packed rows. */
export type RateDeckMessage =
  | { readonly type: 'total'; readonly lines: number }
  | { readonly type: 'progress'; readonly rowsRead: number }
  /** Replace mode: valid rows as soon as a slice is read, as JSON of storeTuple()s (cheap to send, parsed where stored). */
  | { readonly type: 'rows'; readonly json: string }
  | { readonly type: 'packed'; readonly packed: PackedRates };

export type RateDeckOutcome =
  | { readonly ok: true; readonly rows: number; readonly deckRows: number; readonly ms: number }
  | { readonly ok: false; readonly errors: RateDeckError[] };

export default function importDeck(task: RateDeckTask): RateDeckOutcome {
  const t0 = performance.now();
  const csv = Buffer.from(task.csv.buffer, task.csv.byteOffset, task.csv.byteLength);
  // data lines (for a progress bar's total): newlines, plus a last line without one
  let lines = 0;
  for (let i = csv.indexOf(10); i !== -1; i = csv.indexOf(10, i + 1)) lines++;
  if (csv.length > 0 && csv[csv.length - 1] !== 10) lines++;
  task.port.postMessage({ type: 'total', lines: Math.max(0, lines - 1) } satisfies RateDeckMessage);
  const r = importRateDeck(csv, {
    maxErrors: task.maxErrors, base: task.base,
    onProgress: (rowsRead) => task.port.postMessage({ type: 'progress', rowsRead } satisfies RateDeckMessage),
    onRows: task.stream === true && task.base === undefined
      ? (rows: readonly RateRow[]) => task.port.postMessage({ type: 'rows', json: JSON.stringify(rows.map(storeTuple)) } satisfies RateDeckMessage)
      : undefined,
  });
  if (!r.ok) {
    task.port.close();
    return { ok: false, errors: r.errors };
  }
  task.port.postMessage({ type: 'packed', packed: r.packed } satisfies RateDeckMessage, packedTransferList(r.packed));
  task.port.close();
  return { ok: true, rows: r.packed.count, deckRows: r.deckRows, ms: performance.now() - t0 };
}
