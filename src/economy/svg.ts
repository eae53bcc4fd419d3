/**
 * Hand-written SVG line charts (no dependency) for the simulator: title, subtitle, axes with
 * "nice" ticks, horizontal and vertical gridlines, axis labels with units, legend.
 *
 * @example
 * const svg = lineChart({ title: 'Supply', yLabel: 'MESH', series: [{ name: 'totalSupply', points: [[0, 150e6], [10, 137e6]] }] });
 */
export interface Series {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  color?: string;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  xLabel?: string;
  yLabel: string;
  series: Series[];
  /** 'percent' formats ticks as %, 'compact' as 1.2k / 3.4M. */
  yFormat?: 'percent' | 'compact' | 'plain';
  yMin?: number;
  width?: number;
  height?: number;
}

const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2'];

/** Ticks at 1/2/5 × 10^k covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1);
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1]! < hi) out.push(out[out.length - 1]! + step);
  return out;
}

export function formatNumber(v: number, fmt: ChartOptions['yFormat'] = 'compact'): string {
  if (fmt === 'percent') {
    const p = v * 100;
    return `${Math.abs(p) < 1 && p !== 0 ? p.toFixed(2) : Math.abs(p) < 10 ? p.toFixed(1) : p.toFixed(0)}%`;
  }
  const a = Math.abs(v);
  if (fmt === 'compact') {
    if (a >= 1e9) return `${trim(v / 1e9)}B`;
    if (a >= 1e6) return `${trim(v / 1e6)}M`;
    if (a >= 1e3) return `${trim(v / 1e3)}k`;
  }
  if (a !== 0 && a < 0.01) return v.toExponential(1);
  return trim(v);
}

function trim(v: number): string {
  return Number(v.toPrecision(3)).toString();
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 880;
  const H = o.height ?? 440;
  const m = { l: 84, r: 24, t: o.subtitle ? 70 : 52, b: 64 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.min(...xs, 0);
  const x1 = Math.max(...xs, 1);
  let y0 = Math.min(...ys, o.yMin ?? Infinity);
  let y1 = Math.max(...ys);
  if (o.yMin !== undefined) y0 = Math.min(y0, o.yMin);
  if (y1 === y0) y1 = y0 + (y0 === 0 ? 1 : Math.abs(y0) * 0.1);
  const yt = niceTicks(y0, y1);
  y0 = yt[0]!;
  y1 = yt[yt.length - 1]!;
  const xt = niceTicks(x0, x1, 10).filter((v) => v >= x0 && v <= x1 + 1e-9);
  const X = (x: number) => m.l + ((x - x0) / (x1 - x0)) * pw;
  const Y = (y: number) => m.t + ph - ((y - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${m.l}" y="28" font-size="18" font-weight="600" fill="#111827">${esc(o.title)}</text>`);
  if (o.subtitle) parts.push(`<text x="${m.l}" y="48" font-size="12.5" fill="#6b7280">${esc(o.subtitle)}</text>`);
  // grid + ticks
  for (const v of yt) {
    const y = Y(v).toFixed(1);
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="${v === 0 ? '#9ca3af' : '#e5e7eb'}" stroke-width="1"/>`);
    parts.push(`<text x="${m.l - 8}" y="${y}" dy="4" font-size="11.5" text-anchor="end" fill="#374151">${esc(formatNumber(v, o.yFormat))}</text>`);
  }
  for (const v of xt) {
    const x = X(v).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${m.t + ph}" stroke="#f3f4f6" stroke-width="1"/>`);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 5}" stroke="#6b7280"/>`);
    parts.push(`<text x="${x}" y="${m.t + ph + 19}" font-size="11.5" text-anchor="middle" fill="#374151">${esc(formatNumber(v, 'plain'))}</text>`);
  }
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="#6b7280"/>`);
  parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#6b7280"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 18}" font-size="12.5" text-anchor="middle" fill="#111827">${esc(o.xLabel ?? 'years since genesis')}</text>`);
  parts.push(`<text transform="translate(18 ${m.t + ph / 2}) rotate(-90)" font-size="12.5" text-anchor="middle" fill="#111827">${esc(o.yLabel)}</text>`);
  // series
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (!pts.length) return;
    const d = pts.map(([x, y], k) => `${k ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
  });
  // legend
  let lx = m.l + 12;
  const ly = m.t + 14;
  if (o.series.length > 1) {
    const boxW = o.series.reduce((a, s) => a + 34 + s.name.length * 6.6, 0) + 8;
    parts.push(`<rect x="${lx - 8}" y="${ly - 12}" width="${boxW}" height="22" rx="4" fill="#ffffff" fill-opacity="0.9" stroke="#e5e7eb"/>`);
    o.series.forEach((s, i) => {
      const color = s.color ?? PALETTE[i % PALETTE.length]!;
      parts.push(`<line x1="${lx}" x2="${lx + 20}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
      parts.push(`<text x="${lx + 26}" y="${ly + 4}" font-size="11.5" fill="#111827">${esc(s.name)}</text>`);
      lx += 34 + s.name.length * 6.6;
    });
  }
  parts.push('</svg>');
  return parts.join('\n');
}
