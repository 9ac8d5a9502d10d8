import type { HistoryEvent } from '../checker/history.js';
import type { RegisterInput, RegisterOutput } from '../checker/model.js';
import type { WorkerLine } from '../workers/common.js';
import type { WorkerGroup } from './group.js';

/**
 * The KV workers' `op` lines as a history for the linearizability checker.
 *
 * @example
 * ```ts
 * const { events } = kvHistory(kvGroup.lines);
 * ```
 */
export function kvHistory(lines: readonly WorkerLine[]): {
  events: HistoryEvent<RegisterInput, RegisterOutput>[];
  infos: number;
  fails: number;
  /** Unknown outcomes by cause (`ambiguous-write`: AmbiguousWriteError; `retryable`: timeouts, resets, 5xx, throttling). */
  infoReasons: Record<string, number>;
} {
  const events: HistoryEvent<RegisterInput, RegisterOutput>[] = [];
  let infos = 0;
  let fails = 0;
  const infoReasons: Record<string, number> = {};
  for (const l of lines) {
    if (l.ev !== 'op') continue;
    const type = l.type as HistoryEvent['type'];
    if (type === 'info') {
      infos++;
      const why = typeof l.why === 'string' ? l.why : 'other';
      infoReasons[why] = (infoReasons[why] ?? 0) + 1;
    }
    if (type === 'fail') fails++;
    events.push({
      type,
      process: l.process as string,
      key: l.key as string,
      time: l.t,
      ...(l.input !== undefined && { input: l.input as RegisterInput }),
      ...(l.output !== undefined && { output: l.output as RegisterOutput }),
      ...(l.error !== undefined && { error: l.error as string }),
    });
  }
  return { events, infos, fails, infoReasons };
}

/**
 * What went wrong inside workers (not what the checkers judge): crashes, unhandled rejections,
 * errors that are not typed `DynastoreError`s, workers that exited on their own with an error.
 *
 * @example
 * ```ts
 * const problems = workerAnomalies(groups);
 * ```
 */
export function workerAnomalies(groups: readonly WorkerGroup[]): string[] {
  const out: string[] = [];
  for (const g of groups) {
    for (const w of g.all) {
      if (!w.failed) continue;
      const stderr = w.stderr.trim().split('\n').slice(0, 6).join(' | ');
      out.push(`${w.id} exited unexpectedly (${JSON.stringify(w.exitInfo)})${stderr ? `: ${stderr}` : ''}`);
    }
    for (const l of g.lines) {
      if (l.ev === 'crash' || l.ev === 'unhandled-rejection') out.push(`${l.w} ${l.ev}: ${String(l.error)}`);
      if (typeof l.error === 'string' && l.error.startsWith('untyped '))
        out.push(`${l.w} ${l.ev}: ${l.error}`);
    }
  }
  return out;
}
