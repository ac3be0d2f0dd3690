#!/usr/bin/env node
// npm run bench:micro -> every dist/bench/*.bench.js (the micro-benchmarks), in turn.
// npm run bench [-- args] -> dist/bench/run.js, the capacity bench (SIPp through the switch).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'dist', 'bench');
const [kind, ...rest] = process.argv.slice(2);
if (kind === 'e2e' || kind === 'capacity') {
  const runner = join(dir, 'run.js');
  if (!existsSync(runner)) {
    console.error(`run-bench: ${runner} is missing: run node scripts/build.js first`);
    process.exit(1);
  }
  const r = spawnSync(process.execPath, [runner, ...rest], { stdio: 'inherit', cwd: root });
  process.exit(r.status ?? 1);
}
// e2e.bench.js was the first end-to-end run; a stale copy in dist/ is not a micro-benchmark.
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bench.js') && f !== 'e2e.bench.js').sort() : [];
if (files.length === 0) {
  console.error(`run-bench: no micro-benchmarks in ${dir}`);
  process.exit(1);
}
let status = 0;
for (const f of files) {
  console.log(`\n# ${f}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(dir, f), ...rest], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) status = r.status ?? 1;
}
process.exit(status);
