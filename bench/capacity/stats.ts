// Small statistics for repeated holds: median and range, percentiles.

/** Value at quantile q (0..1) of `xs`, nearest-rank on a sorted copy; NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Median with min and max: how every repeated figure is reported. */
export interface Spread { readonly median: number; readonly min: number; readonly max: number; readonly n: number }

/** Median and range of `xs` (NaN fields when empty). */
export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** "1.23 (1.10-1.40, n=3)" with `d` decimals; "n/a" when empty. */
export function fmtSpread(s: Spread, d = 2): string {
  if (s.n === 0 || Number.isNaN(s.median)) return 'n/a';
  if (s.n === 1) return `${s.median.toFixed(d)} (n=1)`;
  return `${s.median.toFixed(d)} (${s.min.toFixed(d)}-${s.max.toFixed(d)}, n=${s.n})`;
}
