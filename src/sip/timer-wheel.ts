import { monotonicMs } from '../util/time.js';
import { componentLogger } from '../util/log.js';

const log = componentLogger('timers');

/**
 * One hashed timing wheel drives every SIP timer (retransmissions, transaction timeouts, call phase
 * timers). Scheduling and cancelling are O(1); a single interval ticks it, however many tens of
 * thousands of transactions are live, instead of one setTimeout per message per retry.
 */
export interface Timer {
  /** Tick at which it fires. */
  due: number;
  fn: ((arg: any) => void) | null;
  arg: unknown;
  /** Index in its slot array while scheduled, -1 once fired or cancelled. */
  slotIndex: number;
  slot: number;
}

const SLOTS = 4096; // power of two: slot = due & (SLOTS - 1)

export class TimerWheel {
  readonly tickMs: number;
  #slots: Timer[][] = [];
  #tick = 0;
  #start: number;
  #interval: NodeJS.Timeout | null = null;
  #live = 0;

  constructor(tickMs = 10) {
    this.tickMs = tickMs;
    for (let i = 0; i < SLOTS; i++) this.#slots.push([]);
    this.#start = monotonicMs();
  }

  /** Number of scheduled timers. */
  get size(): number {
    return this.#live;
  }

  start(): void {
    if (this.#interval) return;
    this.#interval = setInterval(() => this.advance(), this.tickMs);
    this.#interval.unref();
  }

  stop(): void {
    if (this.#interval) clearInterval(this.#interval);
    this.#interval = null;
  }

  /** Calls fn(arg) after at least delayMs (rounded up to the tick). */
  schedule<T>(delayMs: number, fn: (arg: T) => void, arg: T): Timer {
    // Align to the wall position of the wheel, so a timer never fires early because of tick lag.
    const nowTick = Math.floor((monotonicMs() - this.#start) / this.tickMs);
    const due = Math.max(this.#tick + 1, nowTick + Math.ceil(delayMs / this.tickMs));
    const slot = due & (SLOTS - 1);
    const arr = this.#slots[slot]!;
    const t: Timer = { due, fn: fn as (arg: any) => void, arg, slotIndex: arr.length, slot };
    arr.push(t);
    this.#live++;
    return t;
  }

  /** Cancels a timer; a no-op for one that fired or was cancelled already. */
  cancel(t: Timer | null | undefined): void {
    if (!t || t.slotIndex < 0) return;
    const arr = this.#slots[t.slot]!;
    // Swap-remove keeps cancel O(1).
    const last = arr.pop()!;
    if (last !== t) {
      arr[t.slotIndex] = last;
      last.slotIndex = t.slotIndex;
    }
    t.slotIndex = -1;
    t.fn = null;
    this.#live--;
  }

  /** Fires everything that is due; called by the interval, or by tests. */
  advance(): void {
    const target = Math.floor((monotonicMs() - this.#start) / this.tickMs);
    while (this.#tick < target) {
      this.#tick++;
      const arr = this.#slots[this.#tick & (SLOTS - 1)]!;
      if (arr.length === 0) continue;
      let i = 0;
      while (i < arr.length) {
        const t = arr[i]!;
        if (t.due > this.#tick) {
          i++;
          continue;
        }
        const last = arr.pop()!;
        if (last !== t) {
          arr[i] = last;
          last.slotIndex = i;
        }
        t.slotIndex = -1;
        this.#live--;
        const fn = t.fn;
        t.fn = null;
        if (fn) {
          try {
            fn(t.arg);
          } catch (err) {
            // A timer callback is call-handling code: its bug must not take the switch down.
            log.error({ err }, 'timer callback threw');
          }
        }
      }
    }
  }
}
