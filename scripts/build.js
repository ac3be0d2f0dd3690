#!/usr/bin/env node
// Builds every WASM module (assembly/<name>/index.ts -> build/wasm/<name>.wasm) and then the
// TypeScript (src, test, bench, workers, scripts -> dist/). A module is rebuilt only when one of
// its sources (or assembly/shared) is newer than its .wasm, so `npm start` stays quick.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asmDir = join(root, 'assembly');
const outDir = join(root, 'build', 'wasm');
mkdirSync(outDir, { recursive: true });

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const bin = (name) => join(root, 'node_modules', '.bin', name);
const shared = Math.max(newest(join(asmDir, 'shared')), statSync(join(root, 'asconfig.json')).mtimeMs);
for (const e of existsSync(asmDir) ? readdirSync(asmDir, { withFileTypes: true }) : []) {
  if (!e.isDirectory() || e.name === 'shared') continue;
  const entry = join(asmDir, e.name, 'index.ts');
  if (!existsSync(entry)) continue;
  const out = join(outDir, `${e.name}.wasm`);
  // A module may carry its own asconfig.json (e.g. a larger maximumMemory for big tries).
  const own = join(asmDir, e.name, 'asconfig.json');
  const config = existsSync(own) ? own : join(root, 'asconfig.json');
  const src = Math.max(shared, newest(join(asmDir, e.name)));
  if (existsSync(out) && statSync(out).mtimeMs >= src && !process.argv.includes('--force')) continue;
  process.stderr.write(`asc ${e.name}\n`);
  execFileSync(bin('asc'), [entry, '-o', out, '--config', config, '--target', 'release'], { stdio: 'inherit', cwd: root });
}
execFileSync(bin('tsc'), ['-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
