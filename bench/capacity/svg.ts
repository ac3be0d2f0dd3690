// Line charts as plain SVG (no charting package): one or more series against offered CPS.

export interface Series { readonly name: string; readonly color: string; readonly points: ReadonlyArray<readonly [number, number]> }

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A readable "nice" axis maximum at or above `v`. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Renders `series` as an SVG line chart with points, axes, ticks and a legend. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: readonly Series[], opts: { yMax?: number } = {}): string {
  const W = 640, H = 380, L = 70, R = 20, T = 40, B = 55;
  const all = series.flatMap((s) => s.points);
  const xMax = niceMax(Math.max(1, ...all.map((p) => p[0])));
  const yMax = opts.yMax ?? niceMax(Math.max(0, ...all.map((p) => p[1])) * 1.05);
  const x = (v: number) => L + (v / xMax) * (W - L - R);
  const y = (v: number) => H - B - (Math.min(v, yMax) / yMax) * (H - T - B);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const yv = (yMax * i) / 5, xv = (xMax * i) / 5;
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y(yv)}" y2="${y(yv)}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${y(yv) + 4}" text-anchor="end">${+yv.toPrecision(3)}</text>`);
    out.push(`<text x="${x(xv)}" y="${H - B + 16}" text-anchor="middle">${Math.round(xv)}</text>`);
  }
  out.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="black"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="black"/>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="3" fill="${s.color}"><title>${p[0]}: ${p[1]}</title></circle>`);
    out.push(`<rect x="${L + 10}" y="${T + 6 + i * 16}" width="10" height="10" fill="${s.color}"/><text x="${L + 25}" y="${T + 15 + i * 16}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
