/**
 * Long main-thread jobs cut into slices: work until a time budget is spent, then give the event
 * loop a turn (setImmediate: timers and socket reads run) before going on. A reload of 10,000
 * gateways does ~0.3 s of work this way without holding the loop for more than a slice.
 */
import { performance } from 'node:perf_hooks';

/** Milliseconds of work between two turns of the event loop (the bar is 20 ms of delay). */
export const SLICE_MS = 4;

/** Resolves after the event loop has had one turn (I/O callbacks included). */
export function yieldToLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** A time budget shared by the steps of one job: `await clock.tick()` after each unit of work. */
export class SliceClock {
  readonly #budget: number;
  #start = performance.now();
  /** Turns given to the event loop so far. */
  yields = 0;

  constructor(budgetMs = SLICE_MS) {
    this.#budget = budgetMs;
  }

  /** True when the slice's budget is spent (the caller should `await yieldNow()`). */
  get due(): boolean {
    return performance.now() - this.#start >= this.#budget;
  }

  /** Yields to the event loop if the budget is spent; otherwise resolves at once (a microtask). */
  tick(): Promise<void> | undefined {
    return this.due ? this.yieldNow() : undefined;
  }

  /** Yields now and starts a new slice. */
  async yieldNow(): Promise<void> {
    this.yields++;
    await yieldToLoop();
    this.#start = performance.now();
  }
}

/** Calls fn for each item, yielding whenever the clock's budget is spent. */
export async function forEachSliced<T>(items: readonly T[], clock: SliceClock, fn: (item: T, index: number) => void): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    fn(items[i]!, i);
    if (clock.due) await clock.yieldNow();
  }
}

/** items.map(fn), yielding whenever the clock's budget is spent. */
export async function mapSliced<T, U>(items: readonly T[], clock: SliceClock, fn: (item: T, index: number) => U): Promise<U[]> {
  const out: U[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    out[i] = fn(items[i]!, i);
    if (clock.due) await clock.yieldNow();
  }
  return out;
}

/**
 * A job written once as a generator that yields after each unit of work: runSync() drives it to
 * the end in one go (start-up, small networks, tests), runSliced() gives the loop a turn whenever
 * the clock's budget is spent. Whatever the job throws, both rethrow.
 */
export type SlicedJob<T> = Generator<void, T, void>;

export function runSync<T>(job: SlicedJob<T>): T {
  for (;;) {
    const r = job.next();
    if (r.done) return r.value;
  }
}

export async function runSliced<T>(job: SlicedJob<T>, clock: SliceClock = new SliceClock()): Promise<T> {
  for (;;) {
    const r = job.next();
    if (r.done) return r.value;
    if (clock.due) await clock.yieldNow();
  }
}
