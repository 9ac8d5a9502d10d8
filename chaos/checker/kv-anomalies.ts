import type { HistoryEvent } from './history.js';
import { pairOperations } from './history.js';
import type { ReadOutput, RegisterInput, RegisterOutput } from './model.js';

/** Direct evidence of at-least-once writes, found without a search (values are unique per write). */
export interface KvAnomalies {
  /** Values stored at more than one version: one write applied more than once. */
  readonly duplicateApplications: number;
  /** Compare-and-sets (or creates) reported as failed whose own value was seen in the row. */
  readonly failedButApplied: number;
  readonly examples: readonly string[];
}

/**
 * Finds writes applied twice (the same unique value seen at two versions) and compare-and-sets
 * reported as failed although their value was seen in the row (by a read, or by a failed check):
 * what an SDK retry of a write whose answer was lost produces.
 *
 * @example
 * ```ts
 * const a = findKvAnomalies(events);
 * if (a.failedButApplied > 0) console.log(a.examples);
 * ```
 */
export function findKvAnomalies(events: readonly HistoryEvent<RegisterInput, RegisterOutput>[]): KvAnomalies {
  const versions = new Map<string, Set<number>>();
  const examples: string[] = [];
  let failedButApplied = 0;
  const saw = (key: string, o: ReadOutput | undefined) => {
    if (!o || o.value === null || o.version === undefined) return;
    const id = `${key}\u0000${o.value}`;
    versions.set(id, (versions.get(id) ?? new Set()).add(o.version));
  };
  const failed: { key: string; value: string; expect: string }[] = [];
  for (const op of pairOperations(events)) {
    if (op.status !== 'ok' || op.output === undefined) continue;
    const out = op.output as { value?: string | null; version?: number; ok?: boolean; current?: ReadOutput };
    if (op.input.f === 'read') saw(op.key, out as ReadOutput);
    else if (op.input.f === 'write' || (op.input.f === 'cas' && out.ok)) {
      saw(op.key, { value: op.input.value, ...(out.version !== undefined && { version: out.version }) });
    }
    if (op.input.f === 'cas' && out.ok === false) {
      saw(op.key, out.current);
      failed.push({ key: op.key, value: op.input.value, expect: JSON.stringify(op.input.expect) });
    }
  }
  // A compare-and-set reported as failed whose (unique) value anyone saw in the row was applied.
  for (const f of failed) {
    const at = versions.get(`${f.key}\u0000${f.value}`);
    if (!at) continue;
    failedButApplied++;
    if (examples.length < 5) {
      examples.push(
        `key ${f.key}: cas(${f.expect}, ${f.value}) reported failed, but its value was in the row at version ${[...at].join(', ')}`,
      );
    }
  }
  let duplicateApplications = 0;
  for (const [id, set] of versions) {
    if (set.size < 2) continue;
    duplicateApplications += set.size - 1;
    const [key, value] = id.split('\u0000');
    if (examples.length < 10)
      examples.push(
        `key ${key}: value ${value} stored at versions ${[...set].sort((a, b) => a - b).join(', ')} (written once)`,
      );
  }
  return { duplicateApplications, failedButApplied, examples };
}
