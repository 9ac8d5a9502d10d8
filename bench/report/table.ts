import { type BenchResults, SIDES, type SideName, type SideResult } from '../results.js';

/** Display names of the sides. */
export const SIDE_LABELS: Record<SideName, string> = {
  ours: 'dynastore',
  oursOtel: 'dynastore, OpenTelemetry SDK',
  peer: 'dynamodb-lock-client',
  peerFailClosed: 'lock-client FailClosed',
  peerDefault: 'lock-client, no trustLocalTime',
  raw: 'raw SDK v3',
};

const HEADER = [
  'scenario',
  'library',
  'ops/s',
  'p50 ms',
  'p99 ms',
  'calls/op',
  'WCU/op',
  'RCU/op',
  'details',
];

/**
 * The results as table rows (header first): one row per scenario side.
 *
 * @example
 * ```ts
 * const rows = tableRows(results); // [['scenario', 'library', ...], ['kv put', 'dynastore', ...], ...]
 * ```
 */
export function tableRows(results: Pick<BenchResults, 'scenarios'>): string[][] {
  const rows = [HEADER];
  for (const s of results.scenarios) {
    for (const side of SIDES) {
      const r = s[side];
      if (r === undefined || (r === null && side !== 'ours')) continue;
      // A row measuring only the raw SDK (the delay proxy check) has no dynastore side to show.
      if (r === null && s.raw && !s.peer) continue;
      rows.push([s.name, SIDE_LABELS[side], ...cells(r, s.note)]);
    }
  }
  return rows;
}

function cells(r: SideResult | null, note: string | undefined): string[] {
  if (r === null) return ['', '', '', '', '', '', `not measured${note ? ` (${note})` : ''}`];
  const details = Object.entries(r.extra ?? {})
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
  return [
    fmt(r.opsPerSec),
    fmt(r.p50Ms),
    fmt(r.p99Ms),
    fmt(r.callsPerOp),
    fmt(r.wcuPerOp),
    fmt(r.rcuPerOp),
    details,
  ];
}

/**
 * A number for a table cell: '' for null, thousands grouped, at most 3 significant decimals.
 *
 * @example
 * ```ts
 * fmt(1234.5); // '1,235'
 * fmt(0.0123); // '0.0123'
 * ```
 */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '';
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  return String(Number(x.toPrecision(3)));
}

/**
 * Fixed-width text for the terminal.
 *
 * @example
 * ```ts
 * console.log(formatConsole(tableRows(results)));
 * ```
 */
export function formatConsole(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, c) => (c >= 2 && c <= 7 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/**
 * A GitHub-flavoured Markdown table, columns padded to equal width (as Biome formats Markdown),
 * numbers right-aligned.
 *
 * @example
 * ```ts
 * writeFileSync('table.md', formatMarkdown(tableRows(results)));
 * ```
 */
export function formatMarkdown(rows: readonly string[][]): string {
  const escaped = rows.map((r) => r.map((cell) => cell.replaceAll('|', '\\|')));
  const right = (c: number) => c >= 2 && c <= 7;
  const widths = escaped[0]!.map((_, c) => Math.max(3, ...escaped.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    `| ${r.map((cell, c) => (right(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (right(c) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(escaped[0]!), rule, ...escaped.slice(1).map(line)].join('\n');
}
