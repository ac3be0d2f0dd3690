#!/usr/bin/env node
// npm run bench:micro -> every dist/bench/*.bench.js except the end-to-end one, in turn.
// npm run bench [-- args] -> dist/bench/e2e.bench.js (SIPp through the switch).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'dist', 'bench');
const [kind, ...rest] = process.argv.slice(2);
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bench.js')).sort() : [];
const chosen = kind === 'e2e' ? files.filter((f) => f === 'e2e.bench.js') : files.filter((f) => f !== 'e2e.bench.js');
if (chosen.length === 0) {
  console.error(`run-bench: nothing to run for '${kind}' in ${dir}`);
  process.exit(1);
}
let status = 0;
for (const f of chosen) {
  console.log(`\n# ${f}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(dir, f), ...rest], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) status = r.status ?? 1;
}
process.exit(status);
