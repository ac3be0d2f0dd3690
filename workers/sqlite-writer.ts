/**
 * The SQLite writer thread (src/store/sqlite-writer.ts): opens its own connection to the store's
 * file (WAL, so the main thread's connection keeps reading while this one writes) and runs the
 * Store's write methods one after another, in the order they were posted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeEntry } from '../src/cdr/index.js';
import { openStore, type CdrEntry, type EncodedEntries, type Store, type WriteBatchOptions } from '../src/store/index.js';
import type { SerializedError, WriterInit, WriterReply, WriterRequest } from '../src/store/sqlite-writer.js';

const init = workerData as WriterInit;
const port = parentPort!;

function serialize(e: unknown): SerializedError {
  const x = e as { message?: unknown; code?: unknown; status?: unknown; details?: unknown } | null;
  return {
    message: String(x?.message ?? e),
    code: typeof x?.code === 'string' ? x.code : undefined,
    status: typeof x?.status === 'number' ? x.status : undefined,
    details: x?.details && typeof x.details === 'object' ? structuredClone(x.details as Record<string, unknown>) : undefined,
  };
}

let store: Store;
try {
  store = await openStore(init.url, { timeZone: init.timeZone, maxDayInterval: init.maxDayInterval, pageSize: init.pageSize, sqliteWriter: 'inline' });
} catch (e) {
  port.postMessage({ error: serialize(e) });
  process.exit(1);
}
port.postMessage({ ready: true });

// One call at a time: a batch's transaction must not interleave with the next one's.
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: WriterRequest) => {
  queue = queue.then(() => handle(m));
});

/** The CDR entries of an encoded batch (every one is a 'cdr' entry: the drainer sends no others). */
function decode(b: EncodedEntries): CdrEntry[] {
  const out: CdrEntry[] = [];
  const buf = Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength);
  let off = 0;
  for (const len of b.lengths) {
    const e = decodeEntry(buf.subarray(off, off + len));
    off += len;
    if (e.t === 'cdr') out.push({ cdr: e.cdr, ledger: e.ledger });
  }
  return out;
}

async function handle(m: WriterRequest): Promise<void> {
  if (m.op === 'close') {
    await store.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    if (m.op === 'writeEncoded') {
      const [batch, opts] = m.args as [EncodedEntries, WriteBatchOptions];
      reply = { id: m.id, ok: true, value: await store.writeBatch(decode(batch), opts) };
      port.postMessage(reply);
      return;
    }
    const fn = store[m.op] as (...a: unknown[]) => Promise<unknown>;
    reply = { id: m.id, ok: true, value: await fn.apply(store, m.args as unknown[]) };
  } catch (e) {
    reply = { id: m.id, ok: false, error: serialize(e) };
  }
  port.postMessage(reply);
}
