/**
 * PrefixTable: an immutable digit-prefix table (longest match first) backed by a WASM trie image.
 * Build it here (small tables) or in the compile pool (large ones); swap tables by replacing the
 * reference, a call keeps whatever table (or candidate list) it already took.
 */
import { Piscina } from 'piscina';
import { createError } from '../util/errors.js';
import { WasmTrie, reserveTrieMemory, trieRegion, type TrieMemory } from '../wasm/trie.js';
import { compileInto, packPrefixes, type CompileFailure, type CompileInfo, type CompileOptions, type PackedPrefixes } from './trie-image.js';

export interface PrefixEntry { readonly prefix: string; readonly value: number }
export interface PrefixMatch { readonly value: number; readonly length: number }

/** What buildInPool hands the compile worker (workers/trie-compile.ts). */
export interface CompileTask {
  readonly prefixes: PackedPrefixes;
  /** The new table's memory: the worker grows it and writes the image at its base. */
  readonly target: TrieMemory;
  readonly options?: CompileOptions;
}

const compileFailed = (r: CompileFailure) => createError(r.code)(r.message);
const released = createError('SSW_ERR_TRIE_RELEASED');

const WORKER_URL = new URL('../../workers/trie-compile.js', import.meta.url);

/** A small pool (1-2 threads) for trie compile jobs; destroy() it when done. */
export function createCompilePool(): Piscina {
  return new Piscina({ filename: WORKER_URL.href, minThreads: 1, maxThreads: 2, idleTimeout: 10_000 });
}

export class PrefixTable {
  #trie: WasmTrie | null;
  readonly size: number;
  readonly imageBytes: number;
  /** Trie nodes in the image (for memory reports). */
  readonly nodes: number;
  /** Digits resolved by the image's top table (for reports; see assembly/trie). */
  readonly topDigits: number;

  private constructor(trie: WasmTrie, size: number, nodes: number) {
    this.#trie = trie;
    this.size = size;
    this.imageBytes = trie.imageBytes;
    this.nodes = nodes;
    this.topDigits = trie.topDigits;
  }

  /** Compiles in this thread (blocks it: keep for small tables); throws a coded error on a bad prefix. */
  static build(entries: readonly PrefixEntry[], options?: CompileOptions): PrefixTable {
    const m = reserveTrieMemory();
    const r = compileInto(packEntries(entries), (bytes) => trieRegion(m, bytes), options);
    return PrefixTable.#adopt(m, r);
  }

  /**
   * Compiles in the worker pool without stalling this event loop; a pool made here is destroyed
   * after. The worker writes the image into the new table's shared memory, so taking the table
   * here costs no copy: swapping is then replacing a reference.
   */
  static async buildInPool(entries: readonly PrefixEntry[], pool?: Piscina, options?: CompileOptions): Promise<PrefixTable> {
    const own = pool ?? createCompilePool();
    try {
      const prefixes = await packEntriesYielding(entries);
      const task: CompileTask = { prefixes, target: reserveTrieMemory(), ...(options ? { options } : {}) };
      const r = (await own.run(task, {
        transferList: [prefixes.bytes.buffer, prefixes.offsets.buffer, prefixes.values.buffer] as ArrayBuffer[],
      })) as CompileInfo;
      return PrefixTable.#adopt(task.target, r);
    } finally {
      if (!pool) await own.destroy();
    }
  }

  /** Takes an image compiled into `m` elsewhere (compileInto + trieRegion in a worker); throws a coded error on a failed compile. */
  static adopt(m: TrieMemory, r: CompileInfo): PrefixTable {
    return PrefixTable.#adopt(m, r);
  }

  static #adopt(m: TrieMemory, r: CompileInfo): PrefixTable {
    if (!r.ok) throw compileFailed(r);
    return new PrefixTable(new WasmTrie(m, r.bytes), r.entries, r.nodes);
  }

  /** All matches, longest first, values of one prefix in insertion order (at most 1024). */
  lookup(number: string): PrefixMatch[] {
    const t = this.#live();
    const n = t.lookup(number);
    const out: PrefixMatch[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = { value: t.matchValue(i), length: t.matchLength(i) };
    return out;
  }

  /** The first (longest, earliest inserted) match, or null. */
  longest(number: string): PrefixMatch | null {
    const t = this.#live();
    return t.longest(number) === 0 ? null : { value: t.matchValue(0), length: t.matchLength(0) };
  }

  /** Allocation-free form: calls fn(value, length) for each match, longest first; returns the count. */
  forEachMatch(number: string, fn: (value: number, length: number) => void): number {
    const t = this.#live();
    const n = t.lookup(number);
    for (let i = 0; i < n; i++) fn(t.matchValue(i), t.matchLength(i));
    return n;
  }

  /** Number of matches only (benchmarks, existence checks). */
  matchCount(number: string): number {
    return this.#live().lookup(number);
  }

  /** Drops the WASM instance and its memory; later lookups throw SSW_ERR_TRIE_RELEASED. */
  release(): void {
    this.#trie = null;
  }

  #live(): WasmTrie {
    if (this.#trie === null) throw released('prefix table used after release()');
    return this.#trie;
  }
}

function packEntries(entries: readonly PrefixEntry[]): PackedPrefixes {
  return packPrefixes(entries.map((e) => e.prefix), entries.map((e) => e.value));
}

// Packs in slices, yielding between them, so a million entries never hold the loop for long.
async function packEntriesYielding(entries: readonly PrefixEntry[]): Promise<PackedPrefixes> {
  const SLICE = 10_000; // ~0.5 ms of packing per slice
  let bytes = new Uint8Array(Math.max(64, entries.length * 8));
  const offsets = new Int32Array(entries.length + 1);
  const values = new Int32Array(entries.length);
  let o = 0;
  for (let start = 0; start < entries.length; start += SLICE) {
    const end = Math.min(entries.length, start + SLICE);
    for (let i = start; i < end; i++) {
      const { prefix, value } = entries[i]!;
      if (o + prefix.length > bytes.length) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, o + prefix.length));
        grown.set(bytes);
        bytes = grown;
      }
      offsets[i] = o;
      values[i] = value;
      for (let j = 0; j < prefix.length; j++) {
        const c = prefix.charCodeAt(j);
        bytes[o++] = c > 255 ? 0 : c;
      }
    }
    if (end < entries.length) await yieldToLoop();
  }
  offsets[entries.length] = o;
  return { bytes, offsets, values }; // not cut to o: the offsets bound every prefix, and a copy costs
}

function yieldToLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Plain-TS baseline: a Map of prefix strings probed longest first. Oracle and benchmark reference. */
export class MapPrefixTable {
  readonly #map = new Map<string, number[]>();
  #maxLen = 0;
  readonly size: number;

  constructor(entries: readonly PrefixEntry[]) {
    for (const { prefix, value } of entries) {
      const list = this.#map.get(prefix);
      if (list) list.push(value); else this.#map.set(prefix, [value]);
      if (prefix.length > this.#maxLen) this.#maxLen = prefix.length;
    }
    this.size = entries.length;
  }

  /** Same contract as PrefixTable.lookup (digits only; a non-digit ends the match). */
  lookup(number: string): PrefixMatch[] {
    let len = 0;
    while (len < number.length && len < 64) {
      const c = number.charCodeAt(len);
      if (c < 48 || c > 57) break;
      len++;
    }
    const out: PrefixMatch[] = [];
    for (let l = Math.min(len, this.#maxLen); l >= 0; l--) {
      const list = this.#map.get(number.slice(0, l));
      if (list) for (const value of list) out.push({ value, length: l });
    }
    return out;
  }

  longest(number: string): PrefixMatch | null {
    return this.lookup(number)[0] ?? null;
  }
}
