/**
 * The one wrapper around build/wasm/trie.wasm. Each WasmTrie owns its own instance (and so its
 * own linear memory, up to assembly/trie/asconfig.json's 8192 pages = 512 MiB) holding one image: several tables can
 * be resident, and dropping a WasmTrie frees its table with it.
 */
import { readFileSync } from 'node:fs';
import { createError } from '../util/errors.js';

const imageTooLarge = createError('SSW_ERR_TRIE_IMAGE_TOO_LARGE');
const imageInvalid = createError('SSW_ERR_TRIE_IMAGE_INVALID');

export interface TrieExports {
  readonly memory: WebAssembly.Memory;
  inputPtr(): number;
  inputCap(): number;
  outputPtr(): number;
  outputCap(): number;
  heapBase(): number;
  loadImage(ptr: number, len: number): number;
  lookup(len: number): number;
  longest(len: number): number;
}

let compiled: WebAssembly.Module | undefined;
function wasmModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('../../../build/wasm/trie.wasm', import.meta.url)));
  return compiled;
}

const PAGE = 65536;
// Matches maximumMemory in assembly/trie/asconfig.json (512 MiB: several million prefixes per table).
const MAX_PAGES = 8192;

/** Largest image one instance can hold (bytes). */
export function maxTrieImageBytes(): number {
  const inst = new WebAssembly.Instance(wasmModule(), { env: { abort: abortImport } });
  return MAX_PAGES * PAGE - (inst.exports as unknown as TrieExports).heapBase();
}

function abortImport(): never {
  throw imageInvalid('trie.wasm aborted');
}

export class WasmTrie {
  readonly #x: TrieExports;
  // Views made once: the memory is grown before the image goes in, and nothing grows it after (the
  // module allocates nothing and exports no grow), so they never go stale. Checking
  // `memory.buffer` on every lookup cost more than the walk on small tables.
  readonly #u8: Uint8Array;
  readonly #i32: Int32Array;
  readonly #in: number;
  readonly #inCap: number;
  readonly #out32: number; // output region as an Int32Array index
  readonly imageBytes: number;

  /** Copies the image into a fresh instance; throws a coded error if it is invalid or too large. */
  constructor(image: Uint8Array, preloaded?: TrieExports) {
    this.#x = preloaded ?? WasmTrie.#grown(image.byteLength);
    const base = this.#x.heapBase();
    const buf = this.#x.memory.buffer as ArrayBuffer;
    this.#u8 = new Uint8Array(buf);
    this.#i32 = new Int32Array(buf);
    if (!preloaded) this.#u8.set(image, base);
    const rc = this.#x.loadImage(base, image.byteLength);
    if (rc !== 0) throw imageInvalid(`trie image rejected (${rc})`);
    this.#in = this.#x.inputPtr();
    this.#inCap = this.#x.inputCap();
    this.#out32 = this.#x.outputPtr() >> 2;
    this.imageBytes = image.byteLength;
  }

  /** Like the constructor, but copies in 1 MiB slices with `pause()` between, for big images. */
  static async loadInSlices(image: Uint8Array, pause: () => Promise<void>): Promise<WasmTrie> {
    const x = WasmTrie.#grown(image.byteLength);
    const base = x.heapBase();
    const SLICE = 1 << 20;
    for (let o = 0; o < image.byteLength; o += SLICE) {
      // a fresh view each slice: nothing else grows this memory, but it costs nothing to be safe
      new Uint8Array(x.memory.buffer).set(image.subarray(o, o + SLICE), base + o);
      if (o + SLICE < image.byteLength) await pause();
    }
    return new WasmTrie(image, x);
  }

  // A fresh instance whose memory can hold an image of `bytes` at heapBase().
  static #grown(bytes: number): TrieExports {
    const inst = new WebAssembly.Instance(wasmModule(), { env: { abort: abortImport } });
    const x = inst.exports as unknown as TrieExports;
    const base = x.heapBase();
    const need = Math.ceil((base + bytes) / PAGE);
    if (need > MAX_PAGES) throw imageTooLarge(`trie image of ${bytes} bytes exceeds one instance's ${MAX_PAGES * PAGE - base}`);
    const have = x.memory.buffer.byteLength / PAGE;
    if (need > have) x.memory.grow(need - have);
    return x;
  }

  /** Looks the number up; returns how many matches matchValue/matchLength can read (longest first). */
  lookup(number: string): number {
    return this.#x.lookup(this.#put(number));
  }

  /** Only the longest match (its first value): returns 1 and sets match 0, or returns 0. */
  longest(number: string): number {
    return this.#x.longest(this.#put(number));
  }

  // Writes the number's characters to the input region; returns how many.
  #put(number: string): number {
    const u8 = this.#u8;
    const len = number.length < this.#inCap ? number.length : this.#inCap;
    const p = this.#in;
    for (let i = 0; i < len; i++) {
      const c = number.charCodeAt(i);
      u8[p + i] = c > 255 ? 0 : c; // keep e.g. U+0130 from truncating to the digit '0'
    }
    return len;
  }

  /** Value of match i of the last lookup. */
  matchValue(i: number): number {
    return this.#i32[this.#out32 + 2 * i]!;
  }

  /** Match length (digits) of match i of the last lookup. */
  matchLength(i: number): number {
    return this.#i32[this.#out32 + 2 * i + 1]!;
  }
}
