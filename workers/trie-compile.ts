/**
 * Piscina task module: compiles packed prefixes into a trie image.
 * Input: PackedPrefixes (bytes + offsets + values, transferred). Output: the image ArrayBuffer,
 * moved rather than copied (node and entry counts are in its header), or a failed CompileResult.
 */
import { Piscina } from 'piscina';
import { compileImage, type CompileResult, type PackedPrefixes } from '../src/routing/index.js';

export default function compile(input: PackedPrefixes): ArrayBuffer | CompileResult {
  const r = compileImage(input);
  return r.ok ? (Piscina.move(r.image) as ArrayBuffer) : r;
}
