/**
 * Concurrent-call counters and token-bucket CPS limits per gateway (mapping or routing).
 * Time is passed in (monotonic ms). Tokens are kept in thousandths so refill is exact integer math.
 */

export type LimitKind = 'mapping' | 'routing';
export type LimitVerdict = 'ok' | 'capacity-full' | 'cps-exceeded';

export interface Limits {
  /** Max concurrent calls; 0 = unlimited. */
  readonly capacity: number;
  /** Max new calls per second (also the burst); 0 = unlimited. */
  readonly cps: number;
}

interface Slot { active: number; milliTokens: number; at: number }

export class Limiter {
  readonly #slots = new Map<string, Slot>();

  #slot(kind: LimitKind, key: string | number, limits: Limits, now: number): Slot {
    const k = `${kind}:${key}`;
    let s = this.#slots.get(k);
    if (!s) { s = { active: 0, milliTokens: limits.cps * 1000, at: now }; this.#slots.set(k, s); }
    // Refill: cps tokens per 1000 ms = cps milli-tokens per ms; burst capped at cps tokens.
    const elapsed = Math.max(0, Math.floor(now - s.at));
    if (elapsed > 0) {
      s.milliTokens = Math.min(limits.cps * 1000, s.milliTokens + elapsed * limits.cps);
      s.at += elapsed;
    }
    return s;
  }

  /** What tryAcquire would answer now, without taking anything. */
  check(kind: LimitKind, key: string | number, limits: Limits, now: number): LimitVerdict {
    const s = this.#slot(kind, key, limits, now);
    if (limits.capacity > 0 && s.active >= limits.capacity) return 'capacity-full';
    if (limits.cps > 0 && s.milliTokens < 1000) return 'cps-exceeded';
    return 'ok';
  }

  /** Takes one call slot and one CPS token, or neither; pair an 'ok' with release(). */
  tryAcquire(kind: LimitKind, key: string | number, limits: Limits, now: number): LimitVerdict {
    const v = this.check(kind, key, limits, now);
    if (v !== 'ok') return v;
    const s = this.#slots.get(`${kind}:${key}`)!;
    s.active++;
    if (limits.cps > 0) s.milliTokens -= 1000;
    return 'ok';
  }

  /** Frees the call slot taken by a successful tryAcquire (the CPS token stays spent). */
  release(kind: LimitKind, key: string | number): void {
    const s = this.#slots.get(`${kind}:${key}`);
    if (s && s.active > 0) s.active--;
  }

  /** Calls currently held under this key. */
  active(kind: LimitKind, key: string | number): number {
    return this.#slots.get(`${kind}:${key}`)?.active ?? 0;
  }
}
