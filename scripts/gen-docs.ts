/**
 * Writes docs/parameters.md and docs/configuration.md from src/config/ (the parameter registry
 * and the configuration field tables). `--check` writes nothing and exits 1 when a committed
 * file differs from what would be generated, so CI catches docs that drifted from the code.
 *   node dist/scripts/gen-docs.js [--check]
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigurationDocs, renderParameterDocs } from '../src/config/docs.js';

// Compiled to dist/scripts/gen-docs.js: the repository root is two levels up.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every generated doc: its path relative to the repository root and its full text. */
export function generatedDocs(): { path: string; text: string }[] {
  return [
    { path: 'docs/parameters.md', text: renderParameterDocs() },
    { path: 'docs/configuration.md', text: renderConfigurationDocs() },
  ];
}

/** The generated docs whose file under `root` is missing or differs (empty = in sync). */
export function staleDocs(root: string = ROOT): string[] {
  return generatedDocs()
    .filter((d) => {
      const p = join(root, d.path);
      return !existsSync(p) || readFileSync(p, 'utf8') !== d.text;
    })
    .map((d) => d.path);
}

/** Writes every generated doc under `root`; returns the paths written. */
export function writeDocs(root: string = ROOT): string[] {
  mkdirSync(join(root, 'docs'), { recursive: true });
  for (const d of generatedDocs()) writeFileSync(join(root, d.path), d.text);
  return generatedDocs().map((d) => d.path);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--check')) {
    const stale = staleDocs();
    if (stale.length > 0) {
      process.stderr.write(`gen-docs: out of date: ${stale.join(', ')} (run: npm run docs)\n`);
      process.exit(1);
    }
    process.stdout.write('gen-docs: docs are in sync\n');
  } else {
    for (const p of writeDocs()) process.stdout.write(`gen-docs: wrote ${p}\n`);
  }
}
