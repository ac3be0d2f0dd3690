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

// JSON has no bigint: money goes as decimal strings under the same keys and comes back exact.
const MONEY_KEYS = new Set(['fee', 'vendorCost', 'amount']);

/** Serialises an entry to UTF-8 JSON, bigints as strings. */
export function encodeEntry(e: JournalEntry): Buffer {
  return Buffer.from(JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)), 'utf8');
}

/** Parses an entry written by encodeEntry, money keys back to bigint. */
export function decodeEntry(b: Buffer): JournalEntry {
  return JSON.parse(b.toString('utf8'), (k, v) => (MONEY_KEYS.has(k) && typeof v === 'string' ? BigInt(v) : v)) as JournalEntry;
}
