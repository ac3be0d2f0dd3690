/**
 * Rate decks as CSV: parse with csv-parse, validate every row, take the deck whole or not at all;
 * export back. Pure (no I/O), so the same code runs in a Piscina worker for 1,000,000-row decks.
 *
 * Columns (header row required, order free, names case-insensitive):
 *   prefix, area_name, call_type, rate, first_period, next_period, connection_fee, sections,
 *   effective_from, locked
 * Only prefix and rate are required. Defaults: area_name "", call_type international, 60/60,
 * connection fee 0, no sections, effective_from 0 (always), locked 0.
 * sections: "after_s:rate;after_s:rate". effective_from: ISO 8601 with zone, or epoch ms.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { formatMoney, parseMoney, type Money } from './money.js';
import { CALL_TYPES, type CallType, type RateRow, type RateSection } from './rating.js';
import { rateRowProblem } from './rate-table.js';
import { editPacked, packRateRows, type PackedRates } from './packed-rates.js';

export const RATE_DECK_COLUMNS = [
  'prefix', 'area_name', 'call_type', 'rate', 'first_period', 'next_period', 'connection_fee', 'sections', 'effective_from', 'locked',
] as const;

export interface RateDeckError {
  /** 1-based line in the file (the header is line 1). */
  readonly line: number;
  readonly reason: string;
}

export type RateDeckResult =
  | { readonly ok: true; readonly rows: RateRow[] }
  | { readonly ok: false; readonly errors: RateDeckError[] };

export interface RateDeckOptions {
  /** Stop collecting after this many bad rows (default 100); the deck is refused either way. */
  readonly maxErrors?: number;
  /** Called every `progressEvery` rows (default 10,000) with the rows read so far. */
  readonly onProgress?: (rowsRead: number) => void;
  /**
   * Called after each slice (about 256 KB of deck) with the rows found valid in it, so a caller can
   * start storing before the whole deck is read. A later bad row still refuses the deck: such a
   * caller must be able to undo (one open transaction).
   */
  readonly onRows?: (rows: readonly RateRow[]) => void;
  readonly progressEvery?: number;
}

const INT = /^\d{1,9}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses and validates a whole deck; never throws on bad input, reports each bad line. */
export function parseRateDeck(input: string | Buffer, options: RateDeckOptions = {}): RateDeckResult {
  const r = parseDeck(input, options);
  return r.ok ? { ok: true, rows: r.rows } : r;
}

export interface ImportDeckOptions extends RateDeckOptions {
  /**
   * Merge mode: the group's current rows. A deck row replaces the base row with the same prefix
   * and effective time; every other base row is kept.
   */
  readonly base?: PackedRates;
  /** Pack on SharedArrayBuffers (see PackOptions). */
  readonly shared?: boolean;
}

/**
 * What a worker runs: parse, validate and pack in one pass (the prefix grouping found while
 * checking duplicates is reused by the packing), ready for `packedTransferList`.
 */
export function importRateDeck(input: string | Buffer, options: ImportDeckOptions = {}):
  { readonly ok: true; readonly packed: PackedRates; readonly deckRows: number } | { readonly ok: false; readonly errors: RateDeckError[] } {
  const r = parseDeck(input, options);
  if (!r.ok) return r;
  if (options.base === undefined || options.base.count === 0) {
    return { ok: true, packed: packRateRows(r.rows, { slotOfRow: r.slotOfRow, slots: r.slots }, { shared: options.shared }), deckRows: r.rows.length };
  }
  // the deck's rows replace base rows of the same prefix and effective time; the base's other rows are copied as arrays
  return { ok: true, packed: editPacked(options.base, r.rows, [], { shared: options.shared }), deckRows: r.rows.length };
}

function parseDeck(input: string | Buffer, options: RateDeckOptions):
  { ok: true; rows: RateRow[]; slotOfRow: number[]; slots: number } | { ok: false; errors: RateDeckError[] } {
  const maxErrors = options.maxErrors ?? 100;
  const every = options.progressEvery ?? 10_000;
  const rows: RateRow[] = [];
  const errors: RateDeckError[] = [];
  // index in `rows` of each prefix's first row; a prefix on several lines (rate changes) is
  // checked in `again`; rowLines[i] is the file line of rows[i]
  const firstRow = new Map<string, number>();
  const rowLines: number[] = [];
  // slot (distinct prefix, in order of first appearance) of each row, for packRateRows
  const slotOfRow: number[] = [];
  let slots = 0;
  const again = new Map<string, Array<{ line: number; effectiveFrom: number }>>();
  let cols: Cols | null = null;
  let read = 0;
  const onRecord = (rec: string[], line: number): void => {
    if (rec.length === 1 && rec[0] === '') return; // blank line
    if (cols === null) {
      const h = header(rec);
      if (typeof h === 'string') {
        errors.push({ line, reason: h });
        throw STOP;
      }
      cols = h;
      return;
    }
    const r = toRow(rec, cols);
    if (typeof r === 'string') errors.push({ line, reason: r });
    else {
      const clash = sameTime(r, line, firstRow, again, rows, rowLines);
      if (clash !== 0) errors.push({ line, reason: `prefix ${r.prefix} with the same effective time as line ${clash}` });
      else {
        const first = firstRow.get(r.prefix)!;
        slotOfRow.push(first === rows.length ? slots++ : slotOfRow[first]!);
        rows.push(r);
        rowLines.push(line);
      }
    }
    if (errors.length >= maxErrors) throw STOP;
    if (++read % every === 0) options.onProgress?.(read);
  };
  const buf = typeof input === 'string' ? Buffer.from(input) : input;
  let line = 1;
  try {
    // Parsed in slices of whole lines: each slice's records are checked and dropped before the
    // next, so a 1,000,000-row deck never exists as 1,000,000 arrays of strings at once (the GC
    // would pay for them). Blank lines stay records, so lines are counted record by record.
    for (let start = 0; start < buf.length;) {
      const end = sliceEnd(buf, start, SLICE_BYTES);
      const records: string[][] = parse(buf.subarray(start, end), { bom: start === 0, trim: true, relax_column_count: true });
      const before = rows.length;
      // a quoted field may span lines: then count them (only slices with quotes pay for this)
      const quoted = buf.indexOf(34, start) !== -1 && buf.indexOf(34, start) < end;
      for (const rec of records) {
        onRecord(rec, line);
        line += quoted ? 1 + newlinesIn(rec) : 1;
      }
      if (options.onRows !== undefined && rows.length > before && errors.length === 0) options.onRows(rows.slice(before));
      start = end;
    }
  } catch (e) {
    if (e !== STOP) {
      const err = e as { lines?: number; message?: string };
      errors.push({ line: line + (err.lines ?? 1) - 1, reason: `CSV syntax: ${err.message ?? String(e)}` });
    }
  }
  if (cols === null && errors.length === 0) return { ok: false, errors: [{ line: 1, reason: 'empty deck: no header row' }] };
  options.onProgress?.(read);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rows, slotOfRow, slots };
}

/** Line breaks inside a record's fields (a quoted field spanning lines). */
function newlinesIn(rec: readonly string[]): number {
  let n = 0;
  for (const f of rec) for (let i = f.indexOf('\n'); i !== -1; i = f.indexOf('\n', i + 1)) n++;
  return n;
}

/** Thrown to stop reading (too many errors, bad header). */
const STOP = new Error('stop');

/** About 256 KB (5,000 rows) of deck per csv-parse call, and per batch of onRows. */
const SLICE_BYTES = 1 << 18;

/**
 * End of a slice from `start`: just after the first newline at or past start + size that is not
 * inside a quoted field (an even number of quote characters before it), or the end of the buffer.
 */
function sliceEnd(buf: Buffer, start: number, size: number): number {
  const mark = start + size;
  if (mark >= buf.length) return buf.length;
  let quotes = 0;
  let q = buf.indexOf(34, start);
  for (let nl = buf.indexOf(10, mark); nl !== -1; nl = buf.indexOf(10, nl + 1)) {
    for (; q !== -1 && q < nl; q = buf.indexOf(34, q + 1)) quotes++;
    if (quotes % 2 === 0) return nl + 1;
  }
  return buf.length;
}

/** Column positions from the header row, or why it is refused. */
function header(rec: readonly string[]): Cols | string {
  const col = new Map<string, number>();
  for (const [i, raw] of rec.entries()) {
    const h = raw.toLowerCase();
    if (!(RATE_DECK_COLUMNS as readonly string[]).includes(h)) return `unknown column "${h}"`;
    if (col.has(h)) return `column "${h}" twice`;
    col.set(h, i);
  }
  for (const need of ['prefix', 'rate']) {
    if (!col.has(need)) return `missing column "${need}"`;
  }
  return Object.fromEntries(RATE_DECK_COLUMNS.map((c) => [c, col.get(c) ?? -1])) as Cols;
}

/** Line of an earlier row with this prefix and effective time, or 0; records this row. */
function sameTime(
  r: RateRow, line: number, firstRow: Map<string, number>, again: Map<string, Array<{ line: number; effectiveFrom: number }>>,
  rows: readonly RateRow[], rowLines: readonly number[],
): number {
  const first = firstRow.get(r.prefix);
  if (first === undefined) {
    firstRow.set(r.prefix, rows.length);
    return 0;
  }
  let list = again.get(r.prefix);
  if (list === undefined) {
    list = [{ line: rowLines[first]!, effectiveFrom: rows[first]!.effectiveFrom }];
    again.set(r.prefix, list);
  }
  const hit = list.find((x) => x.effectiveFrom === r.effectiveFrom);
  if (hit !== undefined) return hit.line;
  list.push({ line, effectiveFrom: r.effectiveFrom });
  return 0;
}

/** Column positions, -1 when absent; computed once per deck. */
type Cols = Readonly<Record<(typeof RATE_DECK_COLUMNS)[number], number>>;

function toRow(rec: readonly string[], cols: Cols): RateRow | string {
  const get = (name: keyof Cols): string => {
    const i = cols[name];
    return i < 0 ? '' : rec[i] ?? '';
  };
  const rate = moneyField(get('rate'), 'rate');
  if (typeof rate === 'string') return rate;
  const fee = get('connection_fee') === '' ? 0n : moneyField(get('connection_fee'), 'connection_fee');
  if (typeof fee === 'string') return fee;
  const first = intField(get('first_period'), 60, 'first_period');
  if (typeof first === 'string') return first;
  const next = intField(get('next_period'), 60, 'next_period');
  if (typeof next === 'string') return next;
  const callType = (get('call_type') || 'international').toLowerCase() as CallType;
  if (!CALL_TYPES.includes(callType)) return `call_type must be one of ${CALL_TYPES.join(', ')}`;
  const sections = sectionsField(get('sections'));
  if (typeof sections === 'string') return sections;
  const eff = effectiveField(get('effective_from'));
  if (typeof eff === 'string') return eff;
  const lockedText = get('locked').toLowerCase();
  if (!['', '0', '1', 'true', 'false', 'yes', 'no'].includes(lockedText)) return 'locked must be 0/1, true/false or yes/no';
  const row: RateRow = {
    prefix: get('prefix'), areaName: get('area_name'), callType, ratePerMinute: rate, firstPeriod: first, nextPeriod: next,
    connectionFee: fee, sections, effectiveFrom: eff, locked: lockedText === '1' || lockedText === 'true' || lockedText === 'yes',
  };
  return rateRowProblem(row) ?? row;
}

function moneyField(text: string, name: string): Money | string {
  const m = parseMoney(text);
  return m.ok ? m.value : `${name}: ${m.reason}`;
}

function intField(text: string, dflt: number, name: string): number | string {
  if (text === '') return dflt;
  return INT.test(text) ? Number(text) : `${name} must be a whole number of seconds`;
}

function sectionsField(text: string): RateSection[] | string {
  if (text === '') return [];
  const out: RateSection[] = [];
  for (const part of text.split(';')) {
    const [after, rate, extra] = part.split(':');
    if (after === undefined || rate === undefined || extra !== undefined || !INT.test(after.trim())) return `sections: "${part}" is not after_s:rate`;
    const m = moneyField(rate.trim(), 'section rate');
    if (typeof m === 'string') return m;
    out.push({ afterSeconds: Number(after.trim()), ratePerMinute: m });
  }
  return out;
}

function effectiveField(text: string): number | string {
  if (text === '') return 0;
  if (/^\d{1,15}$/.test(text)) return Number(text);
  const t = ISO.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(t) ? 'effective_from must be ISO 8601 with a zone (2026-01-01T00:00:00Z) or epoch ms' : t;
}

/** Writes rows as a deck that parseRateDeck reads back to the same rows. */
export function rateDeckToCsv(rows: readonly RateRow[]): string {
  return stringify(rows.map(rateDeckRecord), { header: true, columns: [...RATE_DECK_COLUMNS] });
}

/** One row as the fields of a deck line, in RATE_DECK_COLUMNS order (for streamed exports). */
export function rateDeckRecord(r: RateRow): Array<string | number> {
  return [
    r.prefix, r.areaName, r.callType, plain(r.ratePerMinute), r.firstPeriod, r.nextPeriod, plain(r.connectionFee),
    r.sections.map((s) => `${s.afterSeconds}:${plain(s.ratePerMinute)}`).join(';'),
    new Date(r.effectiveFrom).toISOString(), r.locked ? 1 : 0,
  ];
}

/** "0.0100000" -> "0.01", "2.0000000" -> "2": decks are read by people. */
function plain(m: Money): string {
  return formatMoney(m).replace(/\.?0+$/, '');
}
