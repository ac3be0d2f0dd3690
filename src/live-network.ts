/**
 * The network in force = network.yaml as written, with the admin API's stored changes laid over it
 * (one entity replaced, added or deleted per change, oldest first), validated as one whole by the
 * same loader as the file. Used at start, on each reload and on each admin change.
 */
import { Worker } from 'node:worker_threads';
import { deepFreeze, NETWORK_LISTS, validateNetwork, type ListenAddress, type NetworkConfig, type NetworkEntityKind, type ServerConfig } from './config/index.js';
import type { NetworkChange } from './store/index.js';
import { SswError } from './util/errors.js';

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

/** What the network worker is given: the config folder (or the document itself) and the changes. */
export interface NetworkJob {
  readonly dir: string;
  /** network.yaml already parsed; null = read it from `dir`. */
  readonly raw: Readonly<Record<string, unknown>> | null;
  readonly changes: readonly NetworkChange[];
  readonly source: string;
  readonly listen: readonly ListenAddress[];
}

const WORKER_URL = new URL('./network-worker.js', import.meta.url);

/**
 * effectiveNetwork (and the read of network.yaml when `raw` is null) in a worker thread, so a large
 * network does not stall call handling; resolves with the frozen network and the document read,
 * rejects with the same coded error the loader throws.
 */
export function validateNetworkOffThread(job: NetworkJob): Promise<{ raw: Record<string, unknown>; network: NetworkConfig }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_URL, { workerData: job });
    let done = false;
    w.once('message', (m: { ok: true; raw: Record<string, unknown> | null; network: NetworkConfig } | { ok: false; code: string; message: string; status?: number; details?: Record<string, unknown> }) => {
      done = true;
      if (m.ok) resolve({ raw: m.raw ?? (job.raw as Record<string, unknown>), network: deepFreeze(m.network) });
      else reject(new SswError(m.code, m.message, m.status, m.details));
    });
    w.once('error', (err) => {
      done = true;
      reject(err);
    });
    w.once('exit', (code) => {
      if (!done) reject(new SswError('SSW_ERR_CONFIG_WORKER', `network validation worker exited with code ${code}`, 500));
    });
  });
}
