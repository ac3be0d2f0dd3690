import { performance } from 'node:perf_hooks';

/** Monotonic milliseconds (fractional) for durations and timers; never goes backwards. */
export function monotonicMs(): number {
  return performance.now();
}

/** Wall-clock epoch milliseconds, only for timestamps shown to people and written to CDRs. */
export function wallClockMs(): number {
  return Date.now();
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The last answer per zone: offsets change only on whole minutes (DST), so one per minute serves every call in it. */
const lastOffset = new Map<string, { minute: number; offset: number }>();

/** Minutes east of UTC of the IANA zone `timeZone` at epoch ms `at` (DST included). */
export function utcOffsetMinutes(timeZone: string, at: number): number {
  const minute = Math.floor(at / 60_000);
  const last = lastOffset.get(timeZone);
  if (last !== undefined && last.minute === minute) return last.offset;
  const offset = offsetAt(timeZone, at);
  lastOffset.set(timeZone, { minute, offset });
  return offset;
}

function offsetAt(timeZone: string, at: number): number {
  let f = offsetFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormats.set(timeZone, f);
  }
  // "GMT" for UTC itself, else "GMT+05:30" / "GMT-03:00".
  const name = f.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name);
  if (!m) return 0;
  const v = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -v : v;
}
