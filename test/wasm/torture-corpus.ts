// Locates and reads the shared RFC 4475 corpus (never copied into the repo).
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export interface TortureCase {
  readonly name: string; readonly bytes: Buffer; readonly msgType: string; readonly validity: string;
  readonly accept: readonly string[]; readonly extra: string;
}

export function tortureDir(): string {
  return process.env.SSW_TORTURE_DIR ?? fileURLToPath(new URL('../../../../shared/sip-torture/', import.meta.url));
}

/** Every .dat file with its EXPECTED.tsv row. */
export function loadTorture(): TortureCase[] {
  const dir = tortureDir();
  const rows = readFileSync(join(dir, 'EXPECTED.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const byName = new Map(rows.map((r) => [r[0]!, r]));
  return readdirSync(dir).filter((f) => f.endsWith('.dat')).sort().map((f) => {
    const name = f.slice(0, -4);
    const r = byName.get(name);
    if (!r) throw new Error(`no EXPECTED.tsv row for ${f}`);
    return { name, bytes: readFileSync(join(dir, f)), msgType: r[3]!, validity: r[4]!, accept: r[5]!.split(','), extra: r[7] ?? '' };
  });
}
