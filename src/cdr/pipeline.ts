import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentLogger } from '../util/log.js';
import { monotonicMs } from '../util/time.js';
import type { BatchResult, CdrEntry, EncodedEntries, WriteBatchOptions } from '../store/index.js';
import { decodeEntry, encodeEntry, entryKey, peekEntry, type CheckpointState, type JournalEntry } from './codec.js';
import { CdrErrors } from './errors.js';
import { Journal, type JournalOptions, type Position } from './journal.js';
import { END_REASON_SERVER_RESTART, makeCdr, type CdrRecord, type LedgerChange } from './record.js';

const log = componentLogger('cdr');

/** Where drained CDRs go: the Store implements it (tests substitute failing sinks). */
export interface CdrSink {
  writeBatch(entries: readonly CdrEntry[], opts?: WriteBatchOptions): Promise<BatchResult>;
  /** The batch size this sink works best with (the drainer's default). */
  readonly drainBatch?: number;
  /** True when the sink takes entries still encoded (writeEncoded): the drainer then neither decodes nor clones them. */
  readonly encodedWrites?: boolean;
  writeEncoded?(batch: EncodedEntries, opts?: WriteBatchOptions): Promise<BatchResult>;
}

/** Whether a sink wants its batches encoded. */
const takesEncoded = (s: CdrSink): boolean => s.encodedWrites === true && typeof s.writeEncoded === 'function';

export interface CdrPipelineOptions extends JournalOptions {
  /** Data directory; the journal lives in `<dataDir>/journal/`. */
  readonly dataDir: string;
  readonly store: CdrSink;
  /** SSW_TIME_ZONE; informational here (the store names the daily tables). */
  readonly timeZone?: string;
  /** Called with the ledger changes each drained batch newly applied, and their balances after. */
  readonly onLedger?: (applied: BatchResult['applied']) => void;
  /** CDRs per store batch; default the sink's drainBatch (Store: 250 SQLite, 1000 MySQL), else 2000. */
  readonly drainBatch?: number;
  /** Back-off after a store error: starts here (default 100 ms), doubles, capped (default 30 s). */
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /** Do not start the drainer (tests of replay). Default true. */
  readonly drain?: boolean;
}

export interface WriteOptions {
  /** Balance changes of this CDR (customer debit, vendor credit), applied once with it. */
  readonly ledger?: readonly LedgerChange[];
  /** The call's checkpoint key: journaled with the CDR, so the checkpoint is cleared atomically. */
  readonly callKey?: string;
}

interface LiveCheckpoint {
  readonly state: CheckpointState;
  readonly at: number;
  /** Segment holding its latest journal copy; -1 while the append is in flight. */
  seg: number;
}

const STATE_FILE = 'drained.json';
const RECENT_MAX = 20_000;

/**
 * The durable CDR path: write() journals a CDR (and its ledger changes) and resolves once it is
 * fsync'd; a drainer moves journal entries into the store in batches, idempotently, backing off
 * while the store fails. At open, everything not confirmed drained is re-drained, and calls that
 * had a checkpoint but no CDR get one with endReason 'server restart'.
 */
export class CdrPipeline {
  #journal: Journal;
  #store: CdrSink;
  #dir: string;
  #onLedger: CdrPipelineOptions['onLedger'];
  #batch: number;
  #backoffMin: number;
  #backoffMax: number;
  #pos: Position;
  /**
   * Everything before this may have reached a store already (journaled by an earlier process, or
   * attempted by this one): batches starting at or after it are first attempts.
   */
  #sentEnd: Position;
  #live = new Map<string, LiveCheckpoint>();
  #depth = 0;
  #drained = 0;
  #errors = 0;
  #consecutiveErrors = 0;
  #lastError: string | null = null;
  #latencyMs = 0;
  #restartCdrs = 0;
  #stopping = false;
  #closed = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #dirty = false;
  /**
   * Recent CDR entries by the journal position after them, so the drainer need not decode what it
   * just wrote (decoding cost ~10 µs and garbage per CDR). Bounded: while the store is away it
   * stops filling and the drainer decodes from disk, so memory does not grow with the backlog.
   */
  #recent = new Map<number, JournalEntry>();
  #wakeHard: (() => void) | null = null;
  #encoded: boolean;

  private constructor(journal: Journal, o: CdrPipelineOptions, pos: Position) {
    this.#journal = journal;
    this.#store = o.store;
    this.#dir = journal.dir;
    this.#onLedger = o.onLedger;
    this.#batch = o.drainBatch ?? o.store.drainBatch ?? 2000;
    this.#backoffMin = o.backoffMinMs ?? 100;
    this.#backoffMax = o.backoffMaxMs ?? 30_000;
    this.#pos = pos;
    this.#sentEnd = { seg: journal.currentSegment, off: 0 };
    this.#encoded = takesEncoded(o.store);
    journal.onSynced(() => this.#kick());
    journal.onFramed((seg, end, tag) => {
      // An encoded sink needs no decoded copies.
      if (!this.#encoded && this.#recent.size < RECENT_MAX) this.#recent.set(seg * 2 ** 32 + end, tag as JournalEntry);
    });
  }

  /** Opens the journal under dataDir, recovers it, journals 'server restart' CDRs for interrupted calls, and starts draining. */
  static async open(o: CdrPipelineOptions): Promise<CdrPipeline> {
    const journal = Journal.open(join(o.dataDir, 'journal'), o);
    let pos: Position = { seg: 0, off: 0 };
    try {
      pos = JSON.parse(readFileSync(join(journal.dir, STATE_FILE), 'utf8')) as Position;
    } catch { /* first start, or state lost: re-drain everything (idempotent) */ }
    const p = new CdrPipeline(journal, o, pos);
    const orphans = p.#recover();
    for (const [key, c] of orphans) {
      await p.#append({ t: 'cdr', at: Date.now(), cdr: restartCdr(c.state, c.at), ledger: c.state.ledger, key });
      p.#restartCdrs++;
    }
    if (orphans.size) log.warn({ calls: orphans.size }, 'calls up at the last stop got server-restart CDRs');
    if (o.drain !== false) p.#loop = p.#drainLoop();
    return p;
  }

  // Rebuilds checkpoints from every segment (they may sit before the drained position) and
  // counts the CDRs after it. Returns the calls that were up: a checkpoint, no CDR, no clear.
  #recover(): Map<string, LiveCheckpoint> {
    const segs = this.#journal.segments();
    for (const s of segs) if (s < this.#pos.seg) this.#journal.deleteSegment(s); // drained; checkpoints re-copied
    const live = new Map<string, LiveCheckpoint>();
    for (const seg of this.#journal.segments()) {
      let pos: Position = { seg, off: 0 };
      for (;;) {
        const frames = this.#journal.read(pos, 100_000);
        if (frames.length === 0) break;
        for (const f of frames) {
          // Only checkpoints are decoded: a CDR needs its kind and, while calls are up, its key
          // (a full decode of every CDR made a 40,000-CDR backlog take ~200 ms to open).
          const t = peekEntry(f.payload).t;
          if (t === 'ckpt') {
            const e = decodeEntry(f.payload) as Extract<JournalEntry, { t: 'ckpt' }>;
            live.set(e.key, { state: e.state, at: e.at, seg });
          } else if (live.size) {
            const key = entryKey(f.payload);
            if (key !== undefined) live.delete(key);
          }
          if (t === 'cdr' && (seg > this.#pos.seg || (seg === this.#pos.seg && f.end.off > this.#pos.off))) this.#depth++;
        }
        pos = frames[frames.length - 1]!.end;
      }
    }
    const all = this.#journal.segments();
    // A position on a segment that is gone (state file stale, files removed by hand): start at
    // the next segment there is; re-draining is harmless.
    if (!all.includes(this.#pos.seg)) this.#pos = { seg: all.find((s) => s > this.#pos.seg) ?? all[0]!, off: 0 };
    return live;
  }

  async #append(e: JournalEntry): Promise<number> {
    if (e.t === 'cdr') this.#depth++;
    try {
      return await this.#journal.append(encodeEntry(e), e.t === 'cdr' ? e : undefined);
    } catch (err) {
      if (e.t === 'cdr') this.#depth--;
      throw err;
    }
  }

  /** Journals a finished call's CDR (with its ledger changes); resolves once it is fsync'd. Only then may the call's resources be released. */
  async write(rec: CdrRecord, opts: WriteOptions = {}): Promise<void> {
    checkKeys(rec.flowNo, opts.ledger);
    if (opts.callKey !== undefined) this.#live.delete(opts.callKey);
    await this.#append({ t: 'cdr', at: Date.now(), cdr: rec, ledger: opts.ledger, key: opts.callKey });
  }

  /** Records the state of a call in progress; after a crash it becomes a 'server restart' CDR. Resolves once fsync'd. */
  async checkpoint(callKey: string, rec: CheckpointState['rec'], ledger?: readonly LedgerChange[]): Promise<void> {
    checkKeys(rec.flowNo, ledger);
    const state: CheckpointState = { rec, ledger };
    const live: LiveCheckpoint = { state, at: Date.now(), seg: -1 };
    this.#live.set(callKey, live);
    const seg = await this.#append({ t: 'ckpt', at: live.at, key: callKey, state });
    live.seg = seg;
  }

  /** Forgets a call's checkpoint without a CDR (use write(rec, { callKey }) when there is one). */
  async clearCheckpoint(callKey: string): Promise<void> {
    if (!this.#live.delete(callKey)) return;
    await this.#append({ t: 'clr', at: Date.now(), key: callKey });
  }

  /** Replaces the sink (e.g. after reconnecting to another database) and retries at once. */
  setStore(store: CdrSink): void {
    this.#store = store;
    this.#encoded = takesEncoded(store);
    if (this.#encoded) this.#recent.clear();
    this.#consecutiveErrors = 0;
    this.#kickHard();
  }

  /** CDRs journaled but not yet confirmed in the store (the "CDR queue" of the performance view). */
  get depth(): number {
    return this.#depth;
  }
  /** CDRs moved into the store by this process. */
  get drained(): number {
    return this.#drained;
  }
  /** Store errors seen by the drainer. */
  get errorCount(): number {
    return this.#errors;
  }
  get lastError(): string | null {
    return this.#lastError;
  }
  /** Wall ms from journaling to store commit of the newest CDR of the last drained batch. */
  get drainLatencyMs(): number {
    return this.#latencyMs;
  }
  /** Server-restart CDRs made at open. */
  get restartCdrs(): number {
    return this.#restartCdrs;
  }
  /** Calls with a live checkpoint. */
  get activeCheckpoints(): number {
    return this.#live.size;
  }
  get journalBytes(): number {
    return this.#journal.bytes;
  }
  get fsyncCount(): number {
    return this.#journal.fsyncCount;
  }

  #kick(): void {
    this.#dirty = true;
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  // Wakes the back-off sleep too: a new store or close() must not wait out a 30 s back-off.
  #kickHard(): void {
    const w = this.#wakeHard;
    this.#wakeHard = null;
    w?.();
    this.#kick();
  }

  #backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.#wakeHard = null; resolve(); }, ms);
      this.#wakeHard = () => { clearTimeout(t); resolve(); };
    });
  }

  #sleep(ms: number): Promise<void> {
    if (this.#dirty) {
      this.#dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.#wake = null; resolve(); }, ms);
      this.#wake = () => { clearTimeout(t); resolve(); };
    });
  }

  async #drainLoop(): Promise<void> {
    while (!this.#stopping) {
      this.#dirty = false;
      try {
        const moved = await this.#drainOnce();
        if (moved < 0) await this.#sleep(1000);
        // A part batch under load: let more CDRs gather (one store round trip, one statement per
        // batch instead of many tiny ones); an idle switch still drains within COALESCE_MS.
        else if (moved < this.#batch) await this.#pause(COALESCE_MS);
        // A store whose calls resolve in microtasks (inline SQLite) would run a whole backlog
        // without the event loop turning once: let I/O and timers in between batches.
        else await new Promise((r) => setImmediate(r));
      } catch (e) {
        this.#errors++;
        this.#consecutiveErrors++;
        this.#lastError = (e as Error).message;
        const wait = Math.min(this.#backoffMax, this.#backoffMin * 2 ** Math.min(this.#consecutiveErrors - 1, 20));
        if (this.#consecutiveErrors === 1 || this.#consecutiveErrors % 10 === 0) {
          log.error({ err: e, depth: this.#depth, retryMs: wait }, 'CDR store write failed; CDRs stay in the journal');
        }
        await this.#backoff(wait);
      }
    }
  }

  /** Moves one batch: the number of CDRs moved, or -1 when there was nothing to do. Throws on a store error (nothing advanced). */
  async #drainOnce(): Promise<number> {
    const frames = this.#journal.read(this.#pos, this.#batch * 2);
    if (frames.length === 0) {
      const segs = this.#journal.segments();
      const next = segs.find((s) => s > this.#pos.seg);
      if (next === undefined || this.#pos.seg >= this.#journal.currentSegment) return -1;
      if (this.#pos.off < this.#journal.length(this.#pos.seg)) return -1;
      await this.#retireSegment(this.#pos.seg, next);
      return this.#batch; // go on at once with the next segment
    }
    const entries: CdrEntry[] = [];
    const encoded: Buffer[] = [];
    const sink = this.#store;
    const asBytes = this.#encoded;
    let newest = 0;
    let end = this.#pos;
    for (const f of frames) {
      end = f.end;
      if (asBytes) {
        const h = peekEntry(f.payload);
        if (h.t !== 'cdr') continue;
        encoded.push(f.payload);
        newest = Math.max(newest, h.at);
        if (encoded.length >= this.#batch) break;
        continue;
      }
      const k = f.end.seg * 2 ** 32 + f.end.off;
      let e = this.#recent.get(k);
      if (e) this.#recent.delete(k);
      else e = decodeEntry(f.payload);
      if (e.t !== 'cdr') continue;
      entries.push({ cdr: e.cdr, ledger: e.ledger });
      newest = Math.max(newest, e.at);
      if (entries.length >= this.#batch) break;
    }
    const count = asBytes ? encoded.length : entries.length;
    if (count) {
      const first = this.#pos.seg > this.#sentEnd.seg || (this.#pos.seg === this.#sentEnd.seg && this.#pos.off >= this.#sentEnd.off);
      if (first) this.#sentEnd = end;
      const opts = { assumeNew: first };
      const res = asBytes ? await sink.writeEncoded!(pack(encoded), opts) : await sink.writeBatch(entries, opts);
      this.#consecutiveErrors = 0;
      this.#drained += count;
      this.#depth -= count;
      this.#latencyMs = Date.now() - newest;
      if (res.applied.length && this.#onLedger) {
        try { this.#onLedger(res.applied); } catch (e) { log.error({ err: e }, 'onLedger threw'); }
      }
    }
    this.#setPos(end, false);
    return count;
  }

  /** A plain wait that new appends do not cut short (unlike #sleep); close() still does. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.#wakeHard = null; resolve(); }, ms);
      this.#wakeHard = () => { clearTimeout(t); resolve(); };
    });
  }

  // A drained segment may still hold the latest copy of a live call's checkpoint: copy those
  // forward first, then move the drained position past it, then delete it.
  async #retireSegment(seg: number, next: number): Promise<void> {
    const copies: Promise<number>[] = [];
    for (const [key, c] of this.#live) {
      if (c.seg === -1 || c.seg > seg) continue;
      c.seg = -1;
      copies.push(this.#journal.append(encodeEntry({ t: 'ckpt', at: c.at, key, state: c.state })).then((s) => (c.seg = s)));
    }
    await Promise.all(copies);
    this.#setPos({ seg: next, off: 0 });
    this.#journal.deleteSegment(seg);
  }

  #setPos(p: Position, force = true): void {
    this.#pos = p;
    // No fsync: losing this only means re-draining, which the store ignores (idempotent by flowNo).
    // So under load it is written at most every POS_SAVE_MS; a segment change always writes it.
    const now = Date.now();
    if (!force && now - this.#posSavedAt < POS_SAVE_MS) return;
    this.#posSavedAt = now;
    const tmp = join(this.#dir, STATE_FILE + '.tmp');
    writeFileSync(tmp, JSON.stringify(p));
    renameSync(tmp, join(this.#dir, STATE_FILE));
  }

  #posSavedAt = 0;

  /** Resolves when every journaled CDR is in the store, or false after timeoutMs. */
  async waitDrained(timeoutMs = 10_000): Promise<boolean> {
    const t0 = monotonicMs();
    while (this.#depth > 0) {
      if (monotonicMs() - t0 > timeoutMs) return false;
      this.#kick();
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }

  /** Flushes the journal, drains for at most drainMs (default 5 s), stops the drainer and closes the journal. What is not drained stays journaled for the next start. */
  async close(drainMs = 5_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#journal.flush();
    if (this.#loop) await this.waitDrained(drainMs);
    this.#stopping = true;
    this.#kickHard();
    // A store that hangs mid-batch must not hang shutdown: the batch stays journaled for next start.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#loop, new Promise<void>((r) => { timer = setTimeout(r, drainMs); })]);
    clearTimeout(timer);
    this.#setPos(this.#pos);
    await this.#journal.close();
  }
}

/** Payloads back to back in one fresh buffer (moved, not copied, to a writer thread) with their lengths. */
function pack(payloads: readonly Buffer[]): EncodedEntries {
  let total = 0;
  for (const p of payloads) total += p.length;
  // Not Buffer.allocUnsafe: a small one comes from the shared pool, which must never be transferred.
  const bytes = new Uint8Array(total);
  const lengths = new Uint32Array(payloads.length);
  let off = 0;
  for (let i = 0; i < payloads.length; i++) {
    bytes.set(payloads[i]!, off);
    off += payloads[i]!.length;
    lengths[i] = payloads[i]!.length;
  }
  return { bytes, lengths };
}

/** How long a part batch waits for more CDRs before it is written (ms). */
const COALESCE_MS = 50;
/** How often, at most, the drained position is saved under load (ms). */
const POS_SAVE_MS = 250;

// Keys that make a CDR or a debit unique must fit their columns whole: a cut flowNo or account
// could merge two calls or two accounts. A bug in the caller, so it fails loudly before journaling.
function checkKeys(flowNo: string, ledger: readonly LedgerChange[] | undefined): void {
  if (typeof flowNo !== 'string' || flowNo.length === 0 || flowNo.length > 64) {
    throw CdrErrors.badRecord(`flowNo must be 1-64 characters: ${JSON.stringify(flowNo)}`);
  }
  for (const c of ledger ?? []) {
    if (!c.account || c.account.length > 64 || !c.reason || c.reason.length > 32 || typeof c.amount !== 'bigint') {
      throw CdrErrors.badRecord(`bad ledger change for ${flowNo}: account 1-64 chars, reason 1-32 chars, amount bigint`);
    }
  }
}

/** The CDR of a call that was up at a crash: its last checkpoint, ended by the server at that time. */
function restartCdr(s: CheckpointState, at: number): CdrRecord {
  const r = s.rec;
  const endTime = r.endTime ?? at;
  return makeCdr({
    ...r,
    endTime,
    holdTimeMs: r.holdTimeMs ?? (r.answerTime ? Math.max(0, endTime - r.answerTime) : 0),
    endDirection: 2,
    endReason: END_REASON_SERVER_RESTART,
    endReasonText: 'the switch stopped while the call was up; billed up to its last checkpoint',
    serverRestart: true,
  });
}

/**
 * A sink that opens its store on first use and again after a failed open, so the switch can start
 * (and journal CDRs) while the database is down: `openCdrPipeline({ store: lazySink(() => openStore(url)) })`.
 */
export function lazySink(open: () => Promise<CdrSink>): CdrSink & { readonly current: CdrSink | null } {
  let current: CdrSink | null = null;
  let opening: Promise<CdrSink> | null = null;
  return {
    get current() {
      return current;
    },
    async writeBatch(entries, opts) {
      if (!current) {
        opening ??= open().finally(() => { opening = null; });
        current = await opening;
      }
      return current.writeBatch(entries, opts);
    },
  };
}

/** Opens the durable CDR pipeline (journal + drainer) over a store. */
export function openCdrPipeline(o: CdrPipelineOptions): Promise<CdrPipeline> {
  return CdrPipeline.open(o);
}
