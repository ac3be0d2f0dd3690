/**
 * Worker thread: reads network.yaml (unless given), lays the admin changes over it, validates the
 * whole and compiles the routing trie into the shared memory it was handed, all off the event loop
 * (YAML parsing and validation of 10,000 gateways take over a second). The network goes back on
 * workerData.port in chunks; the result goes last on parentPort. One job per worker; see
 * validateNetworkOffThread in ./live-network.ts.
 */
import { setPriority } from 'node:os';
import { deserialize, serialize } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { readNetworkRaw } from './config/index.js';
import { effectiveNetwork, postDoc, type NetworkWorkerData, type NetworkWorkerResult } from './live-network.js';
import { compileRoutes } from './routing/index.js';
import { isSswError } from './util/errors.js';

// Background work: on a busy machine the event-loop thread (calls) should win the CPU over it. On
// Linux the nice value is per thread, so this lowers this worker only (as workers/trie-compile.ts).
try {
  setPriority(10);
} catch {
  // not permitted here: validate at the default priority
}

const job = workerData as NetworkWorkerData;
let result: NetworkWorkerResult;
let transfer: ArrayBuffer[] = [];
try {
  const raw = job.raw ? (deserialize(job.raw) as Record<string, unknown>) : readNetworkRaw(job.dir);
  const network = effectiveNetwork(raw, job.changes, job.source, { listen: job.listen });
  const routes = compileRoutes(network.routingGateways, job.trie);
  if ('ok' in routes) {
    result = { ok: false, code: routes.code, message: `${job.source}: routing table: ${routes.message}`, status: 400 };
  } else {
    postDoc(job.port, 'network', network as unknown as Record<string, unknown>);
    // The document read here goes back as bytes: the event loop takes a buffer, not 10,000 objects.
    const bytes = job.raw ? null : new Uint8Array(serialize(raw));
    const { trie: _inPlace, ...rest } = routes;
    result = { ok: true, routes: rest, raw: bytes };
    transfer = [rest.gatewayStarts.buffer, rest.gatewayIndexes.buffer, ...(bytes ? [bytes.buffer] : [])] as ArrayBuffer[];
  }
} catch (err) {
  const e = err as Error;
  result = { ok: false, code: isSswError(e) ? e.code : 'SSW_ERR_CONFIG_INVALID', message: e.message, status: isSswError(e) ? e.status : 400, details: isSswError(e) ? e.details : undefined };
}
job.port.close();
parentPort!.postMessage(result, transfer);
