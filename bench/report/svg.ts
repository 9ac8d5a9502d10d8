import { type BenchResults, SIDES, type SideName } from '../results.js';
import type { Quantiles } from '../stats.js';
import { SIDE_LABELS } from './table.js';

const COLORS: Record<SideName, string> = {
  ours: '#2563eb',
  oursOtel: '#0891b2',
  peer: '#ea580c',
  peerFailClosed: '#a16207',
  peerDefault: '#be123c',
  raw: '#6b7280',
};
const WIDTH = 1000;
const LABEL_W = 250;
const PLOT_X0 = LABEL_W + 14;
const PLOT_X1 = WIDTH - 240;
const NOTE_X = PLOT_X1 + 16;
const ROW_H = 22;
const GROUP_GAP = 14;
const TOP = 64;

/**
 * An SVG of every latency distribution in the results, on one logarithmic millisecond axis:
 * per scenario and library, a thin line from min to max, a thicker one from p5 to p95, a box from
 * p25 to p75, a tick at p50 and a diamond at p99.
 *
 * @example
 * ```ts
 * writeFileSync('bench/latency.svg', latencySvg(results));
 * ```
 */
export function latencySvg(results: Pick<BenchResults, 'scenarios'>): string {
  const groups = results.scenarios
    .map((s) => ({
      name: s.name,
      rows: SIDES.map((side) => ({ side, q: s[side]?.latency, floor: s[side]?.extra?.floorP50Ms })).filter(
        (r): r is { side: SideName; q: Quantiles; floor: number | undefined } =>
          r.q !== undefined && r.q.n > 0,
      ),
    }))
    .filter((g) => g.rows.length > 0);
  const all = groups.flatMap((g) => g.rows.flatMap((r) => [r.q.minMs, r.q.maxMs])).filter((x) => x > 0);
  const lo = 10 ** Math.floor(Math.log10(all.length > 0 ? Math.min(...all) : 1));
  const hi = Math.max(lo * 10, 10 ** Math.ceil(Math.log10(all.length > 0 ? Math.max(...all) : 10)));
  const x = (ms: number) =>
    PLOT_X0 +
    ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) *
      (PLOT_X1 - PLOT_X0);
  const height = TOP + groups.reduce((h, g) => h + (g.rows.length + 1) * ROW_H + GROUP_GAP, 0) + 40;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    '<title>Latency distributions of dynastore, dynamodb-lock-client and the raw SDK, per scenario</title>',
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">Latency distributions (ms, log scale)</text>`,
    legend(),
  );
  for (const tick of ticks(lo, hi)) {
    const tx = x(tick).toFixed(1);
    out.push(
      `<line x1="${tx}" y1="${TOP - 8}" x2="${tx}" y2="${height - 34}" stroke="#e5e7eb"/>`,
      `<text x="${tx}" y="${height - 20}" text-anchor="middle" fill="#374151">${label(tick)}</text>`,
    );
  }
  let y = TOP;
  for (const g of groups) {
    out.push(`<text x="10" y="${y + 15}" font-weight="bold">${esc(g.name)}</text>`);
    y += ROW_H;
    for (const { side, q, floor } of g.rows) {
      const mid = y + ROW_H / 2;
      const c = COLORS[side];
      out.push(
        `<text x="${LABEL_W}" y="${mid + 4}" text-anchor="end" fill="${c}">${esc(SIDE_LABELS[side])}</text>`,
        `<line x1="${x(q.minMs).toFixed(1)}" y1="${mid}" x2="${x(q.maxMs).toFixed(1)}" y2="${mid}" stroke="${c}" stroke-width="1" opacity="0.6"/>`,
        `<line x1="${x(q.p5Ms).toFixed(1)}" y1="${mid}" x2="${x(q.p95Ms).toFixed(1)}" y2="${mid}" stroke="${c}" stroke-width="3"/>`,
        `<rect x="${x(q.p25Ms).toFixed(1)}" y="${mid - 6}" width="${Math.max(1, x(q.p75Ms) - x(q.p25Ms)).toFixed(1)}" height="12" fill="${c}" fill-opacity="0.35" stroke="${c}"/>`,
        `<line x1="${x(q.p50Ms).toFixed(1)}" y1="${mid - 8}" x2="${x(q.p50Ms).toFixed(1)}" y2="${mid + 8}" stroke="#111827" stroke-width="2"/>`,
        diamond(x(q.p99Ms), mid, c),
        `<text x="${NOTE_X}" y="${mid + 4}" fill="#374151" font-size="10">p50 ${label(q.p50Ms)} · p99 ${label(q.p99Ms)} · n=${q.n}${floor !== undefined ? ` · floor ${label(floor)}` : ''}</text>`,
      );
      // Failover rows: the holder's own deadline (p50 over the trials), the floor no takeover can beat.
      if (floor !== undefined && floor > 0)
        out.push(
          `<line x1="${x(floor).toFixed(1)}" y1="${mid - 9}" x2="${x(floor).toFixed(1)}" y2="${mid + 9}" stroke="#dc2626" stroke-width="2" stroke-dasharray="3 2"/>`,
        );
      y += ROW_H;
    }
    y += GROUP_GAP;
  }
  out.push(
    `<text x="${WIDTH - 10}" y="${height - 4}" text-anchor="end" fill="#6b7280" font-size="10">line: min-max · thick: p5-p95 · box: p25-p75 · tick: p50 · diamond: p99 · red dashes: failover floor (p50)</text>`,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function legend(): string {
  return SIDES.map((side, i) => {
    const lx = 10 + i * 188;
    return `<rect x="${lx}" y="32" width="12" height="12" fill="${COLORS[side]}"/><text x="${lx + 18}" y="42">${SIDE_LABELS[side]}</text>`;
  }).join('');
}

function diamond(cx: number, cy: number, color: string): string {
  const r = 4;
  return `<path d="M${cx.toFixed(1)} ${cy - r} L${(cx + r).toFixed(1)} ${cy} L${cx.toFixed(1)} ${cy + r} L${(cx - r).toFixed(1)} ${cy} Z" fill="#ffffff" stroke="${color}" stroke-width="1.5"/>`;
}

function ticks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let decade = lo; decade <= hi; decade *= 10)
    for (const m of [1, 2, 5]) if (decade * m <= hi) out.push(decade * m);
  return out;
}

function label(ms: number): string {
  if (ms >= 1000) return `${Number((ms / 1000).toPrecision(3))} s`;
  return `${Number(ms.toPrecision(ms >= 10 ? 3 : 2))}`;
}

function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
