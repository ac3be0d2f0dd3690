/**
 * Piscina task module: compiles packed prefixes into a trie image, written straight into the
 * table's shared WASM memory (so the image is neither transferred back nor copied).
 * Input: CompileTask (the packed prefixes' buffers transferred, the memory shared).
 * Output: CompileInfo (the image's size, node and entry counts) or a coded failure.
 */
import { setPriority } from 'node:os';
import { compileInto, type CompileInfo, type CompileTask } from '../src/routing/index.js';
import { trieRegion } from '../src/wasm/trie.js';

const COMPILE_NICE = 10;

// Compiling is background work: on a busy machine the event-loop thread (calls) should win the
// CPU over it. On Linux the nice value is per thread, so this lowers this worker only.
try {
  setPriority(COMPILE_NICE);
} catch {
  // not permitted here: compile at the default priority
}

export default function compile(task: CompileTask): CompileInfo {
  return compileInto(task.prefixes, (bytes) => trieRegion(task.target, bytes), task.options);
}
