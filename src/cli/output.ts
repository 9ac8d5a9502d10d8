/**
 * Where a command writes: results on stdout, progress and errors on stderr.
 *
 * @example
 * ```ts
 * out.result(pair.toJSON(), pair.text());
 * ```
 */
export interface Output {
  /** `--json`: results are one JSON object per line. */
  readonly json: boolean;
  /** A result: `value` as a JSON line with `--json`, else `text` (skipped when undefined). */
  result(value: unknown, text: string | undefined): void;
  /** A progress note on stderr (not with `--json`, whose stderr is for errors only). */
  note(text: string): void;
  /** An error: one line on stderr, `dynastore: <message>`. */
  error(message: string): void;
}

/**
 * Minimal writable the output needs (process.stdout and test doubles).
 *
 * @example
 * ```ts
 * const sink: TextSink = { write: (text: string) => chunks.push(text) };
 * ```
 */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * Makes the output of one CLI run.
 *
 * @example
 * ```ts
 * const out = createOutput({ json: false });
 * out.result({ key: 'a' }, 'a');
 * ```
 */
export function createOutput(options: { json: boolean; stdout?: TextSink; stderr?: TextSink }): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  return {
    json: options.json,
    result(value, text) {
      if (options.json) stdout.write(`${toJsonLine(value)}\n`);
      else if (text !== undefined) stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    note(text) {
      if (!options.json) stderr.write(`${text}\n`);
    },
    error(message) {
      stderr.write(`dynastore: ${oneLine(message)}\n`);
    },
  };
}

/**
 * JSON on one line; bigints become decimal strings (fencing tokens and terms do not fit a double).
 *
 * @example
 * ```ts
 * toJsonLine({ term: 3n }); // '{"term":"3"}'
 * ```
 */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * Collapses a message to its first line, trimmed (errors are printed on one line).
 *
 * @example
 * ```ts
 * oneLine('boom\n  at x'); // 'boom'
 * ```
 */
export function oneLine(message: string): string {
  const first = message.split('\n').find((l) => l.trim() !== '') ?? message;
  return first.trim();
}
