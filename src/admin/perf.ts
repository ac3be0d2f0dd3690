import type { Softswitch } from '../switch.js';

const WINDOW = 60;

/** Samples the switch's call-start counter once a second so CPS over the last second and minute can be read. */
export class CpsSampler {
  readonly #sw: Softswitch;
  /** Ring of call-start counts, one per second; index = seconds since start modulo WINDOW + 1. */
  readonly #ring = new Float64Array(WINDOW + 1);
  #n = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(sw: Softswitch) {
    this.#sw = sw;
    this.#ring[0] = sw.b2bua.counters.attempts;
    this.#timer = setInterval(() => this.sample(), 1000);
    this.#timer.unref();
  }

  /** @internal one tick (tests call it directly). */
  sample(): void {
    this.#n++;
    this.#ring[this.#n % (WINDOW + 1)] = this.#sw.b2bua.counters.attempts;
  }

  /** Calls started per second over the last full second, and averaged over the last minute (or since start). */
  cps(): { lastSecond: number; lastMinute: number } {
    if (this.#n === 0) return { lastSecond: 0, lastMinute: 0 };
    const at = (k: number) => this.#ring[((k % (WINDOW + 1)) + WINDOW + 1) % (WINDOW + 1)]!;
    const now = at(this.#n);
    const span = Math.min(WINDOW, this.#n);
    return { lastSecond: now - at(this.#n - 1), lastMinute: Math.round(((now - at(this.#n - span)) / span) * 100) / 100 };
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
