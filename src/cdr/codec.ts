import type { CdrRecord, LedgerChange } from './record.js';

/** What the journal holds: a finished call's CDR with its balance changes, or a call checkpoint. */
export type JournalEntry =
  | { readonly t: 'cdr'; readonly at: number; readonly cdr: CdrRecord; readonly ledger?: readonly LedgerChange[]; readonly key?: string }
  | { readonly t: 'ckpt'; readonly at: number; readonly key: string; readonly state: CheckpointState }
  | { readonly t: 'clr'; readonly at: number; readonly key: string };

/**
 * What a call in progress checkpoints: the CDR as it would be if the call ended now (at least
 * flowNo and startTime; fee/billedSeconds/holdTimeMs up to now), plus the balance changes that
 * CDR would carry. After a crash it becomes the call's CDR with endReason 'server restart'.
 */
export interface CheckpointState {
  readonly rec: Partial<CdrRecord> & Pick<CdrRecord, 'flowNo' | 'startTime'>;
  readonly ledger?: readonly LedgerChange[];
}

// JSON has no bigint: money goes as decimal strings and comes back exact. The few money fields are
// converted by hand; a replacer/reviver runs per key and cost 20 µs an entry.
type Json = Record<string, unknown>;
const ledgerOut = (l: readonly LedgerChange[] | undefined) => l?.map((c) => ({ ...c, amount: c.amount.toString() }));
const ledgerIn = (l: unknown) => (l as Json[] | undefined)?.map((c) => ({ ...c, amount: BigInt(c.amount as string) }));
function moneyOut(r: Json): Json {
  const o: Json = { ...r };
  if (typeof r.fee === 'bigint') o.fee = r.fee.toString();
  if (typeof r.vendorCost === 'bigint') o.vendorCost = r.vendorCost.toString();
  return o;
}
function moneyIn(r: Json): Json {
  if (typeof r.fee === 'string') r.fee = BigInt(r.fee);
  if (typeof r.vendorCost === 'string') r.vendorCost = BigInt(r.vendorCost);
  return r;
}

/** Serialises an entry to UTF-8 JSON, bigints as strings. */
export function encodeEntry(e: JournalEntry): Buffer {
  let o: Json;
  if (e.t === 'cdr') o = { ...e, cdr: moneyOut(e.cdr as unknown as Json), ledger: ledgerOut(e.ledger) };
  else if (e.t === 'ckpt') o = { ...e, state: { rec: moneyOut(e.state.rec as Json), ledger: ledgerOut(e.state.ledger) } };
  else o = e as unknown as Json;
  return Buffer.from(JSON.stringify(o), 'utf8');
}

/** Parses an entry written by encodeEntry, money back to bigint. */
export function decodeEntry(b: Buffer): JournalEntry {
  const o = JSON.parse(b.toString('utf8')) as Json;
  if (o.t === 'cdr') {
    moneyIn(o.cdr as Json);
    if (o.ledger) o.ledger = ledgerIn(o.ledger);
  } else if (o.t === 'ckpt') {
    const st = o.state as Json;
    moneyIn(st.rec as Json);
    if (st.ledger) st.ledger = ledgerIn(st.ledger);
  }
  return o as unknown as JournalEntry;
}

const HEAD = Buffer.from('{"t":"');
const AT = Buffer.from('","at":');

/**
 * The kind and time of an entry without parsing it: encodeEntry writes `{"t":"<kind>","at":<ms>,`
 * first. Costs ~50 ns instead of decodeEntry's few µs, so the drainer can hand encoded CDRs to a
 * writer thread untouched. Anything not shaped so is decoded in full.
 */
export function peekEntry(b: Uint8Array): { readonly t: JournalEntry['t']; readonly at: number } {
  let ok = b.length > HEAD.length + AT.length + 4;
  for (let i = 0; ok && i < HEAD.length; i++) ok = b[i] === HEAD[i];
  if (ok) {
    const q = b.indexOf(0x22, HEAD.length); // the closing quote of the kind
    const t = q > 0 && q < 16 ? Buffer.from(b.buffer, b.byteOffset + HEAD.length, q - HEAD.length).toString('latin1') : '';
    let i = q;
    for (let k = 0; ok && k < AT.length; k++, i++) ok = b[i] === AT[k];
    let at = 0;
    let digits = 0;
    for (; ok && i < b.length && b[i]! >= 0x30 && b[i]! <= 0x39; i++, digits++) at = at * 10 + (b[i]! - 0x30);
    if (ok && digits > 0 && b[i] === 0x2c && (t === 'cdr' || t === 'ckpt' || t === 'clr')) return { t, at };
  }
  const e = decodeEntry(Buffer.from(b.buffer, b.byteOffset, b.length));
  return { t: e.t, at: e.at };
}

const KEY = Buffer.from(',"key":"');

/**
 * The call key of an entry, read from its end (encodeEntry writes `key` last), without parsing
 * the rest; undefined when it has none. In JSON a quote inside a string is escaped, so the last
 * `,"key":"` can only be the key field's. Anything else is decoded in full.
 */
export function entryKey(b: Buffer): string | undefined {
  const i = b.lastIndexOf(KEY);
  if (i < 0) return undefined;
  if (b[b.length - 1] === 0x7d) {
    try {
      const v: unknown = JSON.parse(b.toString('utf8', i + KEY.length - 1, b.length - 1));
      if (typeof v === 'string') return v;
    } catch { /* not the shape encodeEntry writes */ }
  }
  return (decodeEntry(b) as { key?: string }).key;
}
