import { closeSync, fdatasync, openSync, readdirSync, readSync, ftruncateSync, fstatSync, writev, mkdirSync, close as closeCb, fsyncSync, unlink } from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { componentLogger } from '../util/log.js';
import { CdrErrors } from './errors.js';

const log = componentLogger('cdr-journal');

/**
 * An append-only journal of opaque payloads in segment files `seg-<seq>.log`, each frame
 * `[u32 LE length][u32 LE crc32][payload]`. Appends are group-committed: every append waiting when
 * a flush starts shares one writev and one fdatasync. Readers see only fsync'd bytes. A torn tail
 * (a crash mid-write) fails its CRC or length and is cut off at open.
 */
export interface JournalOptions {
  /** Wait this long for more appends before a flush (group commit window); default 2 ms. */
  readonly groupCommitMs?: number;
  /** Flush at once when this many appends wait; default 1024. */
  readonly maxBatch?: number;
  /** Start a new segment once the current one reaches this size; default 8 MiB. */
  readonly segmentBytes?: number;
}

export interface Position {
  readonly seg: number;
  readonly off: number;
}

export interface ReadFrame {
  readonly payload: Buffer;
  /** Position just after this frame. */
  readonly end: Position;
}

const HEADER = 8;
// Frames larger than this are corruption, not data: a CDR entry is well under 4 KiB.
const MAX_FRAME = 1 << 24;

interface Waiter {
  readonly buf: Buffer;
  readonly tag: unknown;
  readonly resolve: (seg: number) => void;
  readonly reject: (e: Error) => void;
}

function segName(seq: number): string {
  return `seg-${String(seq).padStart(12, '0')}.log`;
}

/** Scans a frame buffer; returns the byte length of the valid prefix and the payloads in it (at most maxFrames). */
export function scanFrames(buf: Buffer, limit = buf.length, maxFrames = Infinity): { valid: number; payloads: { payload: Buffer; end: number }[] } {
  const payloads: { payload: Buffer; end: number }[] = [];
  let off = 0;
  while (off + HEADER <= limit && payloads.length < maxFrames) {
    const len = buf.readUInt32LE(off);
    if (len > MAX_FRAME || off + HEADER + len > limit) break;
    const payload = buf.subarray(off + HEADER, off + HEADER + len);
    if (crc32(payload) !== buf.readUInt32LE(off + 4)) break;
    off += HEADER + len;
    payloads.push({ payload, end: off });
  }
  return { valid: off, payloads };
}

export class Journal {
  readonly dir: string;
  #groupMs: number;
  #maxBatch: number;
  #segBytes: number;
  /** seq -> readable length (fsync'd bytes); sealed segments never grow. */
  #segs = new Map<number, number>();
  #seq: number;
  #fd: number;
  #size = 0;
  #pending: Waiter[] = [];
  #flushing = false;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #listeners: (() => void)[] = [];
  #onFramed: ((seg: number, end: number, tag: unknown) => void) | null = null;
  #fsyncs = 0;
  #appends = 0;
  #readFds = new Map<number, number>();
  #dirSync: Promise<void> | null = null;

  private constructor(dir: string, o: JournalOptions, segs: Map<number, number>) {
    this.dir = dir;
    this.#groupMs = o.groupCommitMs ?? 2;
    this.#maxBatch = o.maxBatch ?? 1024;
    this.#segBytes = o.segmentBytes ?? 8 << 20;
    this.#segs = segs;
    // A fresh segment per process: older ones are sealed, so a torn tail never gets appended after.
    this.#seq = segs.size ? Math.max(...segs.keys()) + 1 : 1;
    this.#fd = this.#openSegment(this.#seq);
  }

  /** Opens (creating) the journal directory, cutting torn tails off existing segments. */
  static open(dir: string, o: JournalOptions = {}): Journal {
    mkdirSync(dir, { recursive: true });
    const segs = new Map<number, number>();
    for (const f of readdirSync(dir).sort()) {
      const m = /^seg-(\d+)\.log$/.exec(f);
      if (!m) continue;
      const fd = openSync(join(dir, f), 'r+');
      try {
        const size = fstatSync(fd).size;
        const buf = Buffer.allocUnsafe(size);
        let got = 0;
        while (got < size) got += readSync(fd, buf, got, size - got, got);
        const { valid } = scanFrames(buf);
        if (valid < size) {
          log.warn({ segment: f, size, valid }, 'journal segment has a torn or corrupt tail; cutting it off');
          ftruncateSync(fd, valid);
          fsyncSync(fd);
        }
        segs.set(Number(m[1]), valid);
      } finally {
        closeSync(fd);
      }
    }
    return new Journal(dir, o, segs);
  }

  #openSegment(seq: number): number {
    const fd = openSync(join(this.dir, segName(seq)), 'a');
    // Make the new file's directory entry durable, so its fsync'd frames are found after a crash.
    // Off the event loop (a directory fsync took ~11 ms on the main thread at every rotation): the
    // first flush into the new segment waits for it before it acknowledges anything.
    this.#dirSync = syncDir(this.dir);
    this.#dirSync.catch(() => {}); // seen by the flush that awaits it
    this.#segs.set(seq, 0);
    this.#size = 0;
    return fd;
  }

  /** Appends one payload; resolves with its segment number once it is on disk (fdatasync'd). */
  append(payload: Buffer, tag?: unknown): Promise<number> {
    if (this.#closed) return Promise.reject(CdrErrors.journalClosed('journal is closed'));
    const buf = Buffer.allocUnsafe(HEADER + payload.length);
    buf.writeUInt32LE(payload.length, 0);
    buf.writeUInt32LE(crc32(payload), 4);
    payload.copy(buf, HEADER);
    this.#appends++;
    return new Promise<number>((resolve, reject) => {
      this.#pending.push({ buf, tag, resolve, reject });
      if (this.#flushing) return; // the running flush picks these up when it ends
      if (this.#pending.length >= this.#maxBatch) {
        this.#clearTimer();
        void this.#flush();
      } else if (!this.#timer) {
        this.#timer = setTimeout(() => { this.#timer = null; void this.#flush(); }, this.#groupMs);
      }
    });
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#pending.length) {
        const batch = this.#pending.splice(0, this.#pending.length);
        const seq = this.#seq;
        const fd = this.#fd;
        try {
          const total = batch.reduce((n, w) => n + w.buf.length, 0);
          await new Promise<void>((res, rej) => writev(fd, batch.map((w) => w.buf), (e, n) => (e ? rej(e) : n !== total ? rej(new Error(`short write ${n}/${total}`)) : res())));
          await new Promise<void>((res, rej) => fdatasync(fd, (e) => (e ? rej(e) : res())));
          if (this.#dirSync) {
            await this.#dirSync;
            this.#dirSync = null;
          }
        } catch (e) {
          // The bytes may be half there: seal this segment (open() cuts the tail) and fail the batch.
          log.error({ err: e }, 'journal write failed');
          const err = CdrErrors.journalWrite(`journal write failed: ${(e as Error).message}`);
          for (const w of batch) w.reject(err);
          try { this.#rotate(); } catch (e2) { log.error({ err: e2 }, 'journal cannot open a new segment'); }
          continue;
        }
        this.#fsyncs++;
        for (const w of batch) {
          this.#size += w.buf.length;
          if (w.tag !== undefined && this.#onFramed) this.#onFramed(seq, this.#size, w.tag);
        }
        this.#segs.set(seq, this.#size);
        for (const w of batch) w.resolve(seq);
        for (const l of this.#listeners) l();
        if (this.#size >= this.#segBytes) this.#rotate();
      }
    } finally {
      this.#flushing = false;
    }
  }

  #rotate(): void {
    const old = this.#fd;
    closeCb(old, () => {});
    this.#seq++;
    this.#fd = this.#openSegment(this.#seq);
  }

  /** Calls `fn` with the position just after each tagged frame once it is on disk. */
  onFramed(fn: (seg: number, end: number, tag: unknown) => void): void {
    this.#onFramed = fn;
  }

  /** Calls `fn` after every flush (new readable data). */
  onSynced(fn: () => void): void {
    this.#listeners.push(fn);
  }

  /** Segment numbers present, oldest first. */
  segments(): number[] {
    return [...this.#segs.keys()].sort((a, b) => a - b);
  }

  /** The segment appends go to now; every lower one is sealed. */
  get currentSegment(): number {
    return this.#seq;
  }

  /** Readable (fsync'd) length of a segment, or -1 if it is gone. */
  length(seg: number): number {
    return this.#segs.get(seg) ?? -1;
  }

  /** Reads whole frames from `pos`, at most `maxFrames` and about `maxBytes`; never past fsync'd data. */
  read(pos: Position, maxFrames: number, maxBytes = 4 << 20): ReadFrame[] {
    const limit = this.length(pos.seg);
    if (limit <= pos.off) return [];
    let fd = this.#readFds.get(pos.seg);
    if (fd === undefined) {
      fd = openSync(join(this.dir, segName(pos.seg)), 'r');
      this.#readFds.set(pos.seg, fd);
    }
    // A CDR frame is ~1 KiB: read about what maxFrames needs, not the whole 4 MiB window each time.
    let want = Math.min(limit - pos.off, maxBytes, Math.max(64 << 10, maxFrames * 1024));
    for (;;) {
      const buf = Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, buf, got, want - got, pos.off + got);
        if (n === 0) break;
        got += n;
      }
      // Stop at maxFrames: CRC-checking the rest of a 4 MiB window only to drop it cost ms per drain.
      const { payloads } = scanFrames(buf, got, maxFrames);
      if (payloads.length === 0 && want < limit - pos.off) {
        want = Math.min(limit - pos.off, want * 2); // one frame bigger than the read window
        continue;
      }
      return payloads.map((p) => ({ payload: p.payload, end: { seg: pos.seg, off: pos.off + p.end } }));
    }
  }

  /** Deletes a sealed segment (all of it drained). */
  deleteSegment(seg: number): void {
    if (seg >= this.#seq) return;
    const fd = this.#readFds.get(seg);
    if (fd !== undefined) closeSync(fd);
    this.#readFds.delete(seg);
    // Unlinking 8 MiB costs ms: not on the event loop. A segment that survives a crash is below
    // the drained position and is deleted at the next open.
    unlink(join(this.dir, segName(seg)), (e) => { if (e && e.code !== 'ENOENT') log.error({ err: e, seg }, 'cannot delete a drained journal segment'); });
    this.#segs.delete(seg);
  }

  /** Waits for pending appends to be on disk. */
  async flush(): Promise<void> {
    this.#clearTimer();
    if (this.#pending.length) await this.#flush();
    while (this.#flushing) await new Promise((r) => setImmediate(r));
  }

  get fsyncCount(): number {
    return this.#fsyncs;
  }

  get appendCount(): number {
    return this.#appends;
  }

  /** Total bytes on disk in all segments. */
  get bytes(): number {
    let n = 0;
    for (const v of this.#segs.values()) n += v;
    return n;
  }

  /** Flushes, then closes every file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    closeSync(this.#fd);
    for (const fd of this.#readFds.values()) closeSync(fd);
    this.#readFds.clear();
  }
}

/** fsyncs a directory (its entries: a new segment file) off the event loop. */
async function syncDir(dir: string): Promise<void> {
  const h = await openAsync(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
