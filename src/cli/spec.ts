import type { Connection } from './connect.js';
import type { Output } from './output.js';

/**
 * One option of a command, as `node:util` `parseArgs` takes it, plus help text.
 *
 * @example
 * ```ts
 * const ttl: OptionSpec = { type: 'string', valueName: 'duration', description: 'expire after this long' };
 * ```
 */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** One line for `--help`. */
  readonly description: string;
  /** Placeholder shown in `--help` for string options. @default 'value' */
  readonly valueName?: string;
}

/**
 * What a command's `run` receives.
 *
 * @example
 * ```ts
 * async run({ args, out, connect }: Invocation) { const { store } = await connect(); }
 * ```
 */
export interface Invocation {
  /** Parsed option values (strings and booleans, by long name). */
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  /** Positional arguments (before `--`). */
  readonly args: readonly string[];
  /** The words after `--` (`lock` and `elect`). */
  readonly command: readonly string[];
  readonly out: Output;
  /**
   * Opens the store the connection options point at (once; closed by the runner). With
   * `reportUnreachable`, the first call that finds nothing answering at the endpoint prints the
   * hint on stderr at once, while the command keeps trying.
   */
  connect(options?: { readonly reportUnreachable?: boolean }): Promise<Connection>;
  /** Aborted on SIGINT / SIGTERM (reason: the signal name). */
  readonly signal: AbortSignal;
}

/**
 * A CLI command: its help, its options and what it does.
 *
 * @example
 * ```ts
 * const hello: CommandSpec = {
 *   name: 'hello', summary: 'Says hello', usage: ['hello'], options: {}, args: { min: 0, max: 0 },
 *   connects: false, run: async ({ out }) => { out.line('hello'); return 0; },
 * };
 * ```
 */
export interface CommandSpec {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Usage lines without the program name, e.g. `get <partition>/<key>`. */
  readonly usage: readonly string[];
  /** Paragraphs after the usage. */
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** How many positional arguments it takes. */
  readonly args: { readonly min: number; readonly max: number };
  /** Whether it needs `-- <command...>`. @default false */
  readonly runsCommand?: boolean;
  /** Whether the connection options (`--endpoint`, `--region`, `--table`, `--local`) apply. */
  readonly connects: boolean;
  /**
   * Whether it runs until interrupted: SIGINT / SIGTERM then abort `signal` instead of killing the
   * process (a second one exits at once). @default false
   */
  readonly handlesSignals?: boolean;
  /** Shell lines for the help's Examples section. */
  readonly examples?: readonly string[];
  run(inv: Invocation): Promise<number>;
}
