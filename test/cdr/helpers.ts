import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchResult, CdrEntry } from '../../src/store/index.js';
import type { CdrSink } from '../../src/cdr/index.js';

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `ssw-${tag}-`));
}

/** Polls `cond` every 5 ms; rejects after timeoutMs. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A sink that always refuses, as a database that is down does. */
export class DownSink implements CdrSink {
  calls = 0;
  async writeBatch(_e: readonly CdrEntry[]): Promise<BatchResult> {
    this.calls++;
    throw new Error('connect ECONNREFUSED 127.0.0.1:1');
  }
}

/** Wraps a sink: the first `n` batches are committed but then reported as failed (ack lost). */
export class LostAckSink implements CdrSink {
  lost = 0;
  constructor(readonly inner: CdrSink, public n: number) {}
  async writeBatch(e: readonly CdrEntry[]): Promise<BatchResult> {
    const r = await this.inner.writeBatch(e);
    if (this.lost < this.n) {
      this.lost++;
      throw new Error('connection lost after commit');
    }
    return r;
  }
}
