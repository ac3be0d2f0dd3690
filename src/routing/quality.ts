/**
 * Live quality per routing gateway: ASR, ACD and PDD over sliding windows cut into segments
 * (SS_GATEWAY_{ASR,ACD,QUALITY}_RESERVE_TIME / _SEPARATE). A figure is the mean of the per-segment
 * figures of the last SEPARATE segments that have data (the current one included), so one bad
 * minute does not dominate. Time is passed in (monotonic ms), so tests are deterministic.
 */
import type { ParamReader } from './types.js';

// One ratio series: per segment a numerator and a denominator, in a ring indexed by segment number.
class SegmentRing {
  readonly #segMs: number;
  readonly #n: number;
  readonly #rows = new Map<number, { seg: Float64Array; num: Float64Array; den: Float64Array }>();
  readonly windowSeconds: number;
  readonly segments: number;

  constructor(windowSeconds: number, segments: number) {
    this.windowSeconds = windowSeconds;
    this.segments = segments;
    this.#n = Math.max(1, Math.floor(segments));
    this.#segMs = Math.max(1, (windowSeconds * 1000) / this.#n);
  }

  /**
   * A ring over a new window and segment count that keeps this one's recent history: each live
   * segment's counts move to the new segment holding its midpoint; what falls outside the new
   * window is dropped. Figures stay comparable (same counts), only their time resolution changes.
   */
  recut(windowSeconds: number, segments: number, now: number): SegmentRing {
    const next = new SegmentRing(windowSeconds, segments);
    const cur = Math.floor(now / this.#segMs);
    for (const [id, row] of this.#rows) {
      for (let i = 0; i < this.#n; i++) {
        const s = row.seg[i]!;
        if (s <= cur - this.#n || s > cur) continue;
        const mid = Math.min(now, (s + 0.5) * this.#segMs);
        if (Math.floor(mid / next.#segMs) <= Math.floor(now / next.#segMs) - next.#n) continue;
        next.add(id, mid, row.num[i]!, row.den[i]!);
      }
    }
    return next;
  }

  add(id: number, now: number, num: number, den: number): void {
    let row = this.#rows.get(id);
    if (!row) {
      row = { seg: new Float64Array(this.#n).fill(-1), num: new Float64Array(this.#n), den: new Float64Array(this.#n) };
      this.#rows.set(id, row);
    }
    const s = Math.floor(now / this.#segMs);
    const i = s % this.#n;
    if (row.seg[i] !== s) { row.seg[i] = s; row.num[i] = 0; row.den[i] = 0; }
    row.num[i]! += num;
    row.den[i]! += den;
  }

  /** Mean of num/den over live segments with den > 0, or null. */
  mean(id: number, now: number): number | null {
    const row = this.#rows.get(id);
    if (!row) return null;
    const cur = Math.floor(now / this.#segMs);
    let sum = 0;
    let k = 0;
    for (let i = 0; i < this.#n; i++) {
      const s = row.seg[i]!;
      if (s > cur - this.#n && s <= cur && row.den[i]! > 0) { sum += row.num[i]! / row.den[i]!; k++; }
    }
    return k === 0 ? null : sum / k;
  }

  /** Totals over live segments (for metrics). */
  totals(id: number, now: number): { num: number; den: number } {
    const row = this.#rows.get(id);
    let num = 0, den = 0;
    if (!row) return { num, den };
    const cur = Math.floor(now / this.#segMs);
    for (let i = 0; i < this.#n; i++) {
      const s = row.seg[i]!;
      if (s > cur - this.#n && s <= cur) { num += row.num[i]!; den += row.den[i]!; }
    }
    return { num, den };
  }
}

export interface GatewayQuality {
  /** Answered / attempts, 0..1, or null without attempts in the window. */
  readonly asr: number | null;
  /** Mean answered-call duration (ms), or null. */
  readonly acdMs: number | null;
  /** Mean INVITE-to-first-18x delay (ms), or null. */
  readonly pddMs: number | null;
  readonly attempts: number;
  readonly answers: number;
}

export class QualityStats {
  #asr: SegmentRing;
  #acd: SegmentRing;
  #pdd: SegmentRing;

  /** Windows from the SS_GATEWAY_*_RESERVE_* parameters; reconfigure() follows a live change. */
  constructor(params: ParamReader) {
    this.#asr = new SegmentRing(params.num('SS_GATEWAY_ASR_RESERVE_TIME'), params.num('SS_GATEWAY_ASR_RESERVE_SEPARATE'));
    this.#acd = new SegmentRing(params.num('SS_GATEWAY_ACD_RESERVE_TIME'), params.num('SS_GATEWAY_ACD_RESERVE_SEPARATE'));
    this.#pdd = new SegmentRing(params.num('SS_GATEWAY_QUALITY_RESERVE_TIME'), params.num('SS_GATEWAY_QUALITY_RESERVE_SEPARATE'));
  }

  /**
   * Puts new window parameters in force: each window whose length or segment count changed is
   * re-cut (its recent counts move into the new segments, see SegmentRing.recut); the others are
   * untouched. Returns the windows re-cut ('asr', 'acd', 'pdd').
   */
  reconfigure(params: ParamReader, now: number): string[] {
    const done: string[] = [];
    const recut = (ring: SegmentRing, time: string, sep: string, name: string): SegmentRing => {
      const w = params.num(time);
      const n = params.num(sep);
      if (w === ring.windowSeconds && n === ring.segments) return ring;
      done.push(name);
      return ring.recut(w, n, now);
    };
    this.#asr = recut(this.#asr, 'SS_GATEWAY_ASR_RESERVE_TIME', 'SS_GATEWAY_ASR_RESERVE_SEPARATE', 'asr');
    this.#acd = recut(this.#acd, 'SS_GATEWAY_ACD_RESERVE_TIME', 'SS_GATEWAY_ACD_RESERVE_SEPARATE', 'acd');
    this.#pdd = recut(this.#pdd, 'SS_GATEWAY_QUALITY_RESERVE_TIME', 'SS_GATEWAY_QUALITY_RESERVE_SEPARATE', 'pdd');
    return done;
  }

  /** The window (s) and segment count of each figure in force. */
  get windows(): { asr: [number, number]; acd: [number, number]; pdd: [number, number] } {
    return {
      asr: [this.#asr.windowSeconds, this.#asr.segments],
      acd: [this.#acd.windowSeconds, this.#acd.segments],
      pdd: [this.#pdd.windowSeconds, this.#pdd.segments],
    };
  }

  /** An INVITE went out to gateway gw. */
  recordAttempt(gw: number, now: number): void { this.#asr.add(gw, now, 0, 1); }
  /**
   * The attempt to gw was answered (2xx). A short call (talk under the gateways' minCallSeconds)
   * is not recorded as an answer: its attempt stays in the ASR's denominator only.
   */
  recordAnswer(gw: number, now: number): void { this.#asr.add(gw, now, 1, 0); }
  /** An answered call on gw ended after durationMs of talk. */
  recordEnd(gw: number, durationMs: number, now: number): void { this.#acd.add(gw, now, Math.max(0, durationMs), 1); }
  /** First 18x arrived pddMs after the INVITE went out. */
  recordPdd(gw: number, pddMs: number, now: number): void { this.#pdd.add(gw, now, Math.max(0, pddMs), 1); }

  /** ASR of gw (0..1) or null; capped at 1 when answers straddle a segment edge. */
  asr(gw: number, now: number): number | null {
    const v = this.#asr.mean(gw, now);
    return v === null ? null : Math.min(1, v);
  }
  acdMs(gw: number, now: number): number | null { return this.#acd.mean(gw, now); }
  pddMs(gw: number, now: number): number | null { return this.#pdd.mean(gw, now); }

  /** All figures of gw for metrics and explain. */
  snapshot(gw: number, now: number): GatewayQuality {
    const t = this.#asr.totals(gw, now);
    return { asr: this.asr(gw, now), acdMs: this.acdMs(gw, now), pddMs: this.pddMs(gw, now), attempts: t.den, answers: t.num };
  }
}

/** Calls per gateway per local day (sorting step 6, line usage). */
export class LineUsage {
  readonly #day = new Map<number, { day: number; calls: number }>();
  readonly #offsetMs: number;

  /** utcOffsetMinutes: where "today" starts, minutes east of UTC. */
  constructor(utcOffsetMinutes = 0) { this.#offsetMs = utcOffsetMinutes * 60_000; }

  /** Counts one call sent to gw at wall-clock nowWall. */
  record(gw: number, nowWall: number): void {
    const day = Math.floor((nowWall + this.#offsetMs) / 86_400_000);
    const e = this.#day.get(gw);
    if (!e || e.day !== day) this.#day.set(gw, { day, calls: 1 });
    else e.calls++;
  }

  /** Calls sent to gw today. */
  today(gw: number, nowWall: number): number {
    const day = Math.floor((nowWall + this.#offsetMs) / 86_400_000);
    const e = this.#day.get(gw);
    return e && e.day === day ? e.calls : 0;
  }
}
