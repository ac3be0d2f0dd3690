/**
 * The one wrapper around build/wasm/trie.wasm. Each WasmTrie owns its own instance and its own
 * shared linear memory (up to assembly/trie/asconfig.json's 8192 pages = 512 MiB) holding one
 * image: several tables can be resident, and dropping a WasmTrie frees its table with it.
 *
 * The memory is a SharedArrayBuffer-backed WebAssembly.Memory so that a compile worker can write
 * the image straight into it (TrieMemory): the thread doing lookups then neither receives a
 * transferred image nor copies one, and adopting the table is O(1).
 */
import { readFileSync } from 'node:fs';
import { createError } from '../util/errors.js';

const imageInvalid = createError('SSW_ERR_TRIE_IMAGE_INVALID');

export interface TrieExports {
  inputPtr(): number;
  inputCap(): number;
  outputPtr(): number;
  outputCap(): number;
  heapBase(): number;
  loadImage(ptr: number, len: number): number;
  lookup(len: number): number;
  longest(len: number): number;
}

/** A memory for one table and where its image goes; it can be posted to a worker. */
export interface TrieMemory {
  readonly memory: WebAssembly.Memory;
  readonly base: number;
}

let compiled: WebAssembly.Module | undefined;
function wasmModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('../../../build/wasm/trie.wasm', import.meta.url)));
  return compiled;
}

const PAGE = 65536;
// Matches initialMemory / maximumMemory in assembly/trie/asconfig.json (512 MiB: several million
// prefixes per table). A shared memory reserves its maximum address space up front, not its pages.
const INITIAL_PAGES = 4;
const MAX_PAGES = 8192;

function abortImport(): never {
  throw imageInvalid('trie.wasm aborted');
}

function instantiate(memory: WebAssembly.Memory): TrieExports {
  return new WebAssembly.Instance(wasmModule(), { env: { memory, abort: abortImport } }).exports as unknown as TrieExports;
}

let heapBase: number | undefined;
// Where images start: the same for every instance of the module, so measured once.
function imageBase(): number {
  heapBase ??= instantiate(newMemory()).heapBase();
  return heapBase;
}

function newMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
}

/** Largest image one instance can hold (bytes). */
export function maxTrieImageBytes(): number {
  return MAX_PAGES * PAGE - imageBase();
}

/** A fresh memory for one table (hand it to trieRegion, here or in a worker, then to adopt). */
export function reserveTrieMemory(): TrieMemory {
  return { memory: newMemory(), base: imageBase() };
}

/**
 * Grows the memory so `bytes` fit at its base and returns that (zeroed) region to write the image
 * into, or null if one instance cannot hold it. Any thread holding the memory may call it.
 */
export function trieRegion(m: TrieMemory, bytes: number): Uint8Array | null {
  const need = Math.ceil((m.base + bytes) / PAGE);
  if (need > MAX_PAGES) return null;
  const have = m.memory.buffer.byteLength / PAGE;
  if (need > have) m.memory.grow(need - have);
  return new Uint8Array(m.memory.buffer, m.base, bytes);
}

export class WasmTrie {
  readonly #x: TrieExports;
  // Views made once, after the image is in: nothing grows the memory later (the module allocates
  // nothing and no one else holds a region), so they never go stale. Checking `memory.buffer` on
  // every lookup cost more than the walk on small tables.
  readonly #u16: Uint16Array;
  readonly #i32: Int32Array;
  readonly #in16: number; // input region as a Uint16Array index
  readonly #inCap: number; // digits worth writing: the input region's size or the longest prefix
  readonly #out32: number; // output region as an Int32Array index
  readonly imageBytes: number;
  /** Digits resolved by the image's top table (K, see assembly/trie). */
  readonly topDigits: number;

  /** Adopts the image of `bytes` already written at m.base; throws a coded error if it is invalid. */
  constructor(m: TrieMemory, bytes: number) {
    this.#x = instantiate(m.memory);
    const rc = this.#x.loadImage(m.base, bytes);
    if (rc !== 0) throw imageInvalid(`trie image rejected (${rc})`);
    const buf = m.memory.buffer;
    this.#u16 = new Uint16Array(buf);
    this.#i32 = new Int32Array(buf);
    const head = new Uint32Array(buf, m.base, 12);
    this.#in16 = this.#x.inputPtr() >> 1;
    // no node lies deeper than the longest prefix, so the digits past it cannot change a result
    this.#inCap = Math.min(this.#x.inputCap(), head[11]!);
    this.#out32 = this.#x.outputPtr() >> 2;
    this.imageBytes = bytes;
    this.topDigits = head[3]!;
  }

  /** Looks the number up; returns how many matches matchValue/matchLength can read (longest first). */
  lookup(number: string): number {
    return this.#x.lookup(this.#put(number));
  }

  /** Only the longest match (its first value): returns 1 and sets match 0, or returns 0. */
  longest(number: string): number {
    return this.#x.longest(this.#put(number));
  }

  // Writes the number's UTF-16 code units to the input region (WASM ends the walk at a non-digit);
  // returns how many.
  #put(number: string): number {
    const u16 = this.#u16;
    const len = number.length < this.#inCap ? number.length : this.#inCap;
    const p = this.#in16;
    for (let i = 0; i < len; i++) u16[p + i] = number.charCodeAt(i);
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
