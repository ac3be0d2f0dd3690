/** Most clients tracked at once; beyond this the least recently seen is forgotten (bounded memory). */
const MAX_CLIENTS = 10_000;

export interface RateLimitOptions {
  /** Requests a client may send at once. */
  readonly burst: number;
  /** Sustained requests per second. */
  readonly perSecond: number;
}

/** A token bucket per client IP: `take` answers 0 when allowed, else the seconds until a token is free. */
export class RateLimiter {
  readonly #opts: RateLimitOptions;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(opts: RateLimitOptions, now: () => number = () => performance.now()) {
    this.#opts = opts;
    this.#now = now;
  }

  take(client: string, cost = 1): number {
    const b = this.#bucket(client);
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return 0;
    }
    return Math.max(1, Math.ceil((cost - b.tokens) / this.#opts.perSecond));
  }

  /** Charges extra tokens (a failed login costs more than a request), down to one burst of debt. */
  charge(client: string, cost: number): void {
    const b = this.#bucket(client);
    b.tokens = Math.max(-this.#opts.burst, b.tokens - cost);
  }

  /** The client's bucket, refilled up to now (created full). */
  #bucket(client: string): { tokens: number; at: number } {
    const now = this.#now();
    let b = this.#buckets.get(client);
    if (b) {
      b.tokens = Math.min(this.#opts.burst, b.tokens + ((now - b.at) / 1000) * this.#opts.perSecond);
      b.at = now;
      // Re-insert so Map order is least-recently-seen first.
      this.#buckets.delete(client);
    } else {
      b = { tokens: this.#opts.burst, at: now };
      if (this.#buckets.size >= MAX_CLIENTS) this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    this.#buckets.set(client, b);
    return b;
  }
}
