/**
 * Up/down state per routing gateway, driven by probe results (the OPTIONS prober is elsewhere).
 * A gateway is up until downAfter probes in a row fail, and down until upAfter in a row succeed.
 */

export interface HealthChange { readonly gatewayId: number; readonly up: boolean; readonly at: number }

export class GatewayHealth {
  readonly #state = new Map<number, { up: boolean; fails: number; oks: number }>();
  readonly #onChange: (c: HealthChange) => void;
  readonly #downAfter: number;
  readonly #upAfter: number;

  constructor(onChange: (c: HealthChange) => void = () => {}, opts: { downAfter?: number; upAfter?: number } = {}) {
    this.#onChange = onChange;
    this.#downAfter = Math.max(1, opts.downAfter ?? 1);
    this.#upAfter = Math.max(1, opts.upAfter ?? 1);
  }

  /** Feeds one probe result; calls onChange exactly when the state flips. */
  report(gatewayId: number, ok: boolean, now: number): void {
    let s = this.#state.get(gatewayId);
    if (!s) { s = { up: true, fails: 0, oks: 0 }; this.#state.set(gatewayId, s); }
    if (ok) { s.oks++; s.fails = 0; } else { s.fails++; s.oks = 0; }
    if (s.up && s.fails >= this.#downAfter) { s.up = false; this.#onChange({ gatewayId, up: false, at: now }); }
    else if (!s.up && s.oks >= this.#upAfter) { s.up = true; this.#onChange({ gatewayId, up: true, at: now }); }
  }

  /** Unprobed gateways count as up. */
  isUp(gatewayId: number): boolean {
    return this.#state.get(gatewayId)?.up ?? true;
  }

  /** Forgets a gateway (removed from config, or probing turned off). */
  forget(gatewayId: number): void {
    this.#state.delete(gatewayId);
  }
}
