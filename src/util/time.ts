import { performance } from 'node:perf_hooks';

/** Monotonic milliseconds (fractional) for durations and timers; never goes backwards. */
export function monotonicMs(): number {
  return performance.now();
}

/** Wall-clock epoch milliseconds, only for timestamps shown to people and written to CDRs. */
export function wallClockMs(): number {
  return Date.now();
}
