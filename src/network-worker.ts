/**
 * Worker thread: reads network.yaml (unless given), lays the admin changes over it and validates the
 * whole, off the event loop (YAML parsing and validation of 10,000 gateways take over a second).
 * One job per worker; see validateNetworkOffThread in ./live-network.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readNetworkRaw } from './config/index.js';
import { effectiveNetwork, type NetworkJob } from './live-network.js';
import { isSswError } from './util/errors.js';

const job = workerData as NetworkJob;
try {
  const raw = job.raw ?? readNetworkRaw(job.dir);
  const network = effectiveNetwork(raw, job.changes, job.source, { listen: job.listen });
  parentPort!.postMessage({ ok: true, raw: job.raw ? null : raw, network });
} catch (err) {
  const e = err as Error;
  parentPort!.postMessage({ ok: false, code: isSswError(e) ? e.code : 'SSW_ERR_CONFIG_INVALID', message: e.message, status: isSswError(e) ? e.status : 400, details: isSswError(e) ? e.details : undefined });
}
