// One hold at a fixed rate, judged by the reference pass rule, and the CPS search built on holds.
import { runUac, type UacResult } from './sipp.js';
import { type Env, type StoreCheck, PORTS } from './env.js';
import { quantile } from './stats.js';

export interface HoldResult {
  readonly kind: string;
  readonly rate: number;
  readonly calls: number;
  readonly successful: number;
  readonly failed: number;
  readonly retransmissions: number;
  readonly achievedCps: number;
  readonly pass: boolean;
  /** Passed with zero retransmissions. */
  readonly clean: boolean;
  readonly switchCpuMsPerCall: number;
  readonly rssMb: number;
  /** Cores used by processes that are not ours during the hold (noise). */
  readonly foreignCores: number;
  readonly noisy: boolean;
  readonly rtdP50: number;
  readonly rtdP90: number;
  readonly seconds: number;
}

export interface HoldOptions {
  readonly kind: string;
  readonly holdS: number;
  readonly callHoldMs: number;
  readonly callees: string | null;
  /** Foreign CPU (cores) above which a hold is noisy. */
  readonly noiseCores: number;
  /** Extra attempts for a noisy hold before it is kept, flagged. */
  readonly retries: number;
  readonly onProgress?: (msg: string) => void;
}

/** Places rate x holdS calls through `env` and judges them: every call placed, < 0.1 % failed, achieved >= 97 %. */
export async function hold(env: Env, rate: number, o: HoldOptions): Promise<HoldResult> {
  let last: HoldResult | null = null;
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    last = await holdOnce(env, rate, o);
    if (!last.noisy) return last;
    o.onProgress?.(`${o.kind} ${rate} CPS: noisy (${last.foreignCores.toFixed(2)} foreign cores), ${attempt < o.retries ? 'repeating' : 'kept, flagged'}`);
  }
  return last!;
}

async function holdOnce(env: Env, rate: number, o: HoldOptions): Promise<HoldResult> {
  const calls = Math.max(1, Math.round(rate * o.holdS));
  const direct = env.sw === null;
  let peakRss = env.rssMb();
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, env.rssMb())), 500);
  const a = env.sample();
  const t0 = performance.now();
  let r: UacResult;
  try {
    r = await runUac({
      target: `127.0.0.1:${direct ? PORTS.directUas : PORTS.switch}`, localPort: direct ? PORTS.directUac : PORTS.uac, rate, calls,
      holdMs: o.callHoldMs, callees: o.callees, timeoutS: o.holdS + Math.ceil(o.callHoldMs / 1000) + 15, pin: env.pin,
    });
  } finally {
    clearInterval(rssTimer);
  }
  const seconds = (performance.now() - t0) / 1000;
  const b = env.sample();
  const swCpu = b.sw - a.sw;
  const foreign = Math.max(0, (b.machine - a.machine) - swCpu - (b.uas - a.uas) - r.sippCpuMs) / 1000 / seconds;
  const placed = Math.max(0, r.successful) + Math.max(0, r.failed);
  // The store check counts every INVITE SIPp sent: a failing hold stops SIPp with calls still in flight, which are
  // neither successful nor failed in its statistics but reach the switch and get their CDR.
  env.placed += Math.max(placed, r.created);
  const pass = r.successful >= 0 && placed >= calls && r.failed * 1000 < calls && r.achievedCps >= 0.97 * rate;
  return {
    kind: o.kind, rate, calls, successful: r.successful, failed: r.failed, retransmissions: r.retransmissions, achievedCps: r.achievedCps,
    pass, clean: pass && r.retransmissions === 0, switchCpuMsPerCall: direct ? 0 : swCpu / Math.max(1, placed), rssMb: peakRss,
    foreignCores: foreign, noisy: foreign > o.noiseCores, rtdP50: quantile(r.rtdMs, 0.5), rtdP90: quantile(r.rtdMs, 0.9), seconds,
  };
}

export interface SearchOptions extends HoldOptions {
  readonly start: number;
  readonly cap: number;
  /** Narrow until (fail - pass) / pass is at most this (0.05 = 5 %); 0 = no narrowing. */
  readonly within: number;
  /** Most holds in one search (a bound on time). */
  readonly maxHolds: number;
}

export interface SearchResult {
  /** Highest passing rate (0 when none passed). */
  readonly max: number;
  /** Highest passing rate with zero retransmissions. */
  readonly cleanMax: number;
  /** Lowest failing rate seen (Infinity when none failed: the cap was reached). */
  readonly firstFail: number;
  readonly holds: HoldResult[];
  /** CDRs found in each switch's store after it stopped, against the calls placed through it. */
  readonly stores: StoreCheck[];
}

/** Ramp (doubling from `start` up to `cap`) until a hold fails, then bisect to within `within`. */
export async function search(env: () => Promise<Env>, o: SearchOptions): Promise<SearchResult> {
  const holds: HoldResult[] = [];
  const stores: StoreCheck[] = [];
  const close = async (x: Env) => {
    const c = await x.close();
    if (c) stores.push(c);
  };
  let pass = 0;
  let fail = Infinity;
  let e = await env();
  const run = async (rate: number) => {
    // A failed hold can leave a storm behind: the next hold starts on a fresh process.
    const h = await hold(e, rate, o);
    holds.push(h);
    o.onProgress?.(`${o.kind} ${rate} CPS: ${h.pass ? 'pass' : 'FAIL'} (failed ${h.failed}/${h.calls}, retrans ${h.retransmissions}, achieved ${h.achievedCps.toFixed(0)})`);
    if (!h.pass) {
      await close(e);
      e = await env();
    }
    return h.pass;
  };
  try {
    let rate = o.start;
    while (holds.length < o.maxHolds) {
      if (await run(rate)) {
        pass = rate;
        if (rate >= o.cap) break;
        rate = Math.min(o.cap, rate * 2);
      } else {
        fail = rate;
        break;
      }
    }
    while (o.within > 0 && fail !== Infinity && holds.length < o.maxHolds && (fail - pass) / Math.max(1, pass) > o.within) {
      const mid = Math.round((pass + fail) / 2);
      if (mid === pass || mid === fail) break;
      if (await run(mid)) pass = mid;
      else fail = mid;
    }
  } finally {
    await close(e);
  }
  const cleanMax = Math.max(0, ...holds.filter((h) => h.clean).map((h) => h.rate));
  return { max: pass, cleanMax, firstFail: fail, holds, stores };
}
