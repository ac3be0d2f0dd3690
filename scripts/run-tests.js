#!/usr/bin/env node
// Runs the compiled tests with node's test runner, listing the files explicitly (Node 20's
// `node --test` neither globs nor descends into a directory given to it).
//   node scripts/run-tests.js                 -> every suite but sipp and mysql
//   node scripts/run-tests.js --suite sipp    -> dist/test/sipp/**
//   node scripts/run-tests.js --suite mysql   -> dist/test/mysql/**
//   node scripts/run-tests.js --suite all
//   node scripts/run-tests.js dist/test/x.test.js ...  -> just those files
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testRoot = join(root, 'dist', 'test');
const args = process.argv.slice(2);
let suite = 'default';
const explicit = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--suite') suite = args[++i];
  else explicit.push(args[i]);
}
const SPECIAL = ['sipp', 'mysql'];

function walk(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

let files = explicit;
if (files.length === 0) {
  files = walk(testRoot).filter((f) => {
    const top = relative(testRoot, f).split(sep)[0];
    if (suite === 'all') return true;
    if (suite === 'default') return !SPECIAL.includes(top);
    return top === suite;
  });
}
if (files.length === 0) {
  console.error(`run-tests: no test files for suite '${suite}' under ${testRoot} (did the build run?)`);
  process.exit(1);
}
const env = { ...process.env, SSW_LOG_LEVEL: process.env.SSW_LOG_LEVEL ?? 'silent' };
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', '--test-timeout=240000', ...files], { stdio: 'inherit', env, cwd: root });
process.exit(r.status ?? 1);
