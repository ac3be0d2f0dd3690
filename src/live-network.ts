/**
 * The network in force = network.yaml as written, with the admin API's stored changes laid over it
 * (one entity replaced, added or deleted per change, oldest first), validated as one whole by the
 * same loader as the file. Used at start, on each reload and on each admin change.
 */
import { deserialize, serialize } from 'node:v8';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { deepFreeze, NETWORK_LISTS, validateNetwork, type ListenAddress, type NetworkConfig, type NetworkEntityKind, type ServerConfig } from './config/index.js';
import type { NetworkChange } from './store/index.js';
import { SswError } from './util/errors.js';
import { SliceClock } from './util/slices.js';
import { reserveTrieMemory, type TrieMemory } from './wasm/trie.js';
import type { CompiledRoutes } from './routing/index.js';

/** network.yaml's parsed document with `changes` applied; the input is not modified. */
export function mergeNetwork(raw: Readonly<Record<string, unknown>>, changes: readonly Pick<NetworkChange, 'kind' | 'name' | 'body'>[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  for (const c of changes) {
    const { list, key } = NETWORK_LISTS[c.kind as NetworkEntityKind];
    // A list that is not a list stays as written, for the validator to name.
    if (out[list] !== undefined && out[list] !== null && !Array.isArray(out[list])) continue;
    const items = Array.isArray(out[list]) ? [...(out[list] as unknown[])] : [];
    const at = items.findIndex((x) => entityKey(x, key) === c.name);
    if (c.body === null) {
      if (at >= 0) items.splice(at, 1);
    } else if (at >= 0) items[at] = c.body;
    else items.push(c.body);
    out[list] = items;
  }
  return out;
}

/** The entity `name` of `kind` in a raw (merged) document, or undefined. */
export function findRaw(raw: Readonly<Record<string, unknown>>, kind: NetworkEntityKind, name: string): Record<string, unknown> | undefined {
  const { list, key } = NETWORK_LISTS[kind];
  const items = raw[list];
  if (!Array.isArray(items)) return undefined;
  return items.find((x) => entityKey(x, key) === name) as Record<string, unknown> | undefined;
}

/** Validates the merged document; errors name the fields as in network.yaml. */
export function effectiveNetwork(raw: Readonly<Record<string, unknown>>, changes: readonly NetworkChange[], source: string, server: Pick<ServerConfig, 'listen'>): NetworkConfig {
  return validateNetwork(mergeNetwork(raw, changes), changes.length > 0 ? `${source} (with ${changes.length} admin change(s))` : source, server);
}

// YAML may spell an account id as a number; ids compare as text.
function entityKey(x: unknown, key: string): string | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const v = (x as Record<string, unknown>)[key];
  return v === undefined || v === null ? undefined : String(v);
}

/**
 * network.yaml's parsed document as last put in force, kept as its v8 serialization: it crosses to
 * the network worker as one buffer (a copy of bytes, not a walk of 10,000 gateways on the event
 * loop), and becomes objects here only when the admin API reads it (once per generation).
 */
export class RawNetwork {
  readonly bytes: Uint8Array;
  #doc: Record<string, unknown> | null;

  private constructor(bytes: Uint8Array, doc: Record<string, unknown> | null) {
    this.bytes = bytes;
    this.#doc = doc;
  }

  /** Wraps a document read on this thread (it is kept as it is, and serialized once). */
  static of(doc: Record<string, unknown>): RawNetwork {
    return new RawNetwork(serialize(doc), doc);
  }

  /** A document serialized elsewhere (the network worker). */
  static fromBytes(bytes: Uint8Array): RawNetwork {
    return new RawNetwork(bytes, null);
  }

  /** The document; read-only by contract (mergeNetwork copies what it changes). */
  get doc(): Readonly<Record<string, unknown>> {
    this.#doc ??= deserialize(this.bytes) as Record<string, unknown>;
    return this.#doc;
  }
}

/** What validateNetworkOffThread is asked to validate: the config folder (or the document itself) and the changes. */
export interface NetworkJob {
  readonly dir: string;
  /** network.yaml already parsed; null = read it from `dir`. */
  readonly raw: RawNetwork | null;
  readonly changes: readonly NetworkChange[];
  readonly source: string;
  readonly listen: readonly ListenAddress[];
}

/** The network worker's workerData. */
export interface NetworkWorkerData extends Omit<NetworkJob, 'raw'> {
  /** network.yaml's document serialized (RawNetwork.bytes); null: the worker reads network.yaml. */
  readonly raw: Uint8Array | null;
  /** Where the worker posts the validated network, in chunks. */
  readonly port: MessagePort;
  /** Where the worker compiles the routing table's trie image (shared memory: no copy back). */
  readonly trie: TrieMemory;
}

/** The worker's last word on parentPort (the documents went before it on the port). */
export type NetworkWorkerResult =
  | { readonly ok: true; readonly routes: Omit<CompiledRoutes, 'trie'>; readonly raw: Uint8Array | null }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly status?: number; readonly details?: Record<string, unknown> };

/** The validated network, the document it came from, and its routing table's prefix side, compiled. */
export interface ValidatedNetwork {
  readonly raw: RawNetwork;
  readonly network: NetworkConfig;
  readonly routes: CompiledRoutes;
}

const WORKER_URL = new URL('./network-worker.js', import.meta.url);

/**
 * effectiveNetwork (and the read of network.yaml when `raw` is null) and the compile of the routing
 * trie in a worker thread, so a large network does not stall call handling. The validated network
 * comes back in chunks of a hundred entities, each taken (and frozen) in slices of the event loop's
 * time; resolves with the frozen network, rejects with the same coded error the loader throws.
 */
export async function validateNetworkOffThread(job: NetworkJob, clock = new SliceClock()): Promise<ValidatedNetwork> {
  const trie = reserveTrieMemory();
  const { port1, port2 } = new MessageChannel();
  const data: NetworkWorkerData = { dir: job.dir, raw: job.raw?.bytes ?? null, changes: job.changes, source: job.source, listen: job.listen, port: port2, trie };
  try {
    const w = new Worker(WORKER_URL, { workerData: data, transferList: [port2] });
    const result = new Promise<NetworkWorkerResult>((resolve, reject) => {
      let done = false;
      w.once('message', (m: NetworkWorkerResult) => {
        done = true;
        resolve(m);
      });
      w.once('error', (err) => {
        done = true;
        reject(err);
      });
      w.once('exit', (code) => {
        if (!done) reject(new SswError('SSW_ERR_CONFIG_WORKER', `network validation worker exited with code ${code}`, 500));
      });
    });
    const m = await result;
    if (!m.ok) throw new SswError(m.code, m.message, m.status, m.details);
    const network = (await receiveDocs(port1, clock)).get('network') as NetworkConfig | undefined;
    const raw = m.raw ? RawNetwork.fromBytes(m.raw) : job.raw;
    if (!network || !raw) throw new SswError('SSW_ERR_CONFIG_WORKER', 'network validation worker sent no network', 500);
    return { raw, network: Object.freeze(network), routes: { ...m.routes, trie } };
  } finally {
    port1.close();
  }
}

// A document crosses threads as one message per top-level field, lists cut into chunks: a
// structured clone of 10,000 gateways at once holds the receiving loop for ~40 ms.
const CHUNK_ITEMS = 100;
type DocMessage =
  | { readonly doc: string; readonly key: string; readonly items: unknown[] }
  | { readonly doc: string; readonly key: string; readonly value: unknown }
  | { readonly doc: string; readonly end: true };

/** Posts `value` as the document `doc`, field by field, lists in chunks (the worker's side). */
export function postDoc(port: MessagePort, doc: string, value: Readonly<Record<string, unknown>>): void {
  for (const [key, v] of Object.entries(value)) {
    if (!Array.isArray(v)) port.postMessage({ doc, key, value: v } satisfies DocMessage);
    else if (v.length === 0) port.postMessage({ doc, key, items: [] } satisfies DocMessage);
    else for (let i = 0; i < v.length; i += CHUNK_ITEMS) port.postMessage({ doc, key, items: v.slice(i, i + CHUNK_ITEMS) } satisfies DocMessage);
  }
  port.postMessage({ doc, end: true } satisfies DocMessage);
}

/**
 * Every document queued on `port` (the sender is done), taken message by message in the clock's
 * slices and frozen entity by entity (each list and document once complete).
 */
async function receiveDocs(port: MessagePort, clock: SliceClock): Promise<Map<string, Record<string, unknown>>> {
  const docs = new Map<string, Record<string, unknown>>();
  for (let r = receiveMessageOnPort(port); r; r = receiveMessageOnPort(port)) {
    const m = r.message as DocMessage;
    let d = docs.get(m.doc);
    if (!d) docs.set(m.doc, (d = {}));
    if ('end' in m) {
      for (const v of Object.values(d)) Object.freeze(v);
    } else if ('value' in m) {
      d[m.key] = deepFreeze(m.value);
    } else {
      const list = ((d[m.key] as unknown[] | undefined) ??= []);
      for (const x of m.items) {
        list.push(deepFreeze(x));
        if (clock.due) await clock.yieldNow();
      }
    }
    if (clock.due) await clock.yieldNow();
  }
  return docs;
}
