import { parseArgs } from 'node:util';
import { isConnectFailure } from '../dynamodb/errors.js';
import { attachNegativeValues } from './argv.js';
import { commandRunning } from './child.js';
import { commands } from './commands/index.js';
import type { Connection } from './connect.js';
import { connect } from './connect.js';
import { describeError, exitCodeFor } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { commandHelp, commonOptions, connectionOptions, mainHelp } from './help.js';
import { keepingAlive } from './keep-alive.js';
import { createOutput, type TextSink } from './output.js';
import type { CommandSpec, Invocation, OptionSpec } from './spec.js';
import { packageVersion } from './version.js';

/**
 * Streams of one run (tests pass their own).
 *
 * @example
 * ```ts
 * await run(['--help'], { stdout: { write: (t: string) => chunks.push(t) } });
 * ```
 */
export interface RunIo {
  readonly stdout?: TextSink;
  readonly stderr?: TextSink;
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and resolves to the exit code. Never
 * throws: errors are printed as one line on stderr.
 *
 * @example
 * ```ts
 * process.exitCode = await run(['get', 'config/a', '--endpoint', 'http://127.0.0.1:8000']);
 * ```
 */
export async function run(argv: readonly string[], io: RunIo = {}): Promise<number> {
  const dashes = argv.indexOf('--');
  const head = dashes < 0 ? argv : argv.slice(0, dashes);
  const out = createOutput({ json: head.includes('--json'), ...io });
  const stdout = io.stdout ?? process.stdout;
  const [name, ...rest] = argv;
  if (name === undefined) {
    (io.stderr ?? process.stderr).write(mainHelp(commands));
    return ExitCode.Usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = topic === undefined ? undefined : commands.find((c) => c.name === topic);
    if (topic !== undefined && !command) return usageError(out, `unknown command "${topic}"`);
    stdout.write(command ? commandHelp(command) : mainHelp(commands));
    return ExitCode.Ok;
  }
  if (name === '--version') {
    stdout.write(`${packageVersion()}\n`);
    return ExitCode.Ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const hint = name.startsWith('-') ? 'the command comes first' : 'see `dynastore --help`';
    return usageError(out, `unknown command "${name}" (${hint})`);
  }
  return runCommand(command, rest, out, stdout);
}

async function runCommand(
  command: CommandSpec,
  argv: readonly string[],
  out: ReturnType<typeof createOutput>,
  stdout: TextSink,
): Promise<number> {
  const dashes = argv.indexOf('--');
  const before = dashes < 0 ? argv : argv.slice(0, dashes);
  const after = dashes < 0 ? [] : argv.slice(dashes + 1);
  const options: Record<string, OptionSpec> = {
    ...command.options,
    ...(command.connects ? connectionOptions : {}),
    ...commonOptions,
  };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: attachNegativeValues(before, options),
      options: Object.fromEntries(
        Object.entries(options).map(([n, o]) => [n, { type: o.type, ...(o.short && { short: o.short }) }]),
      ),
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (err) {
    return usageError(out, `${command.name}: ${parseErrorMessage(err)}`);
  }
  if (parsed.values.help === true) {
    stdout.write(commandHelp(command));
    return ExitCode.Ok;
  }
  const args = command.runsCommand ? parsed.positionals : [...parsed.positionals, ...after];
  if (args.length < command.args.min)
    return usageError(out, `${command.name}: missing argument (${command.usage[0]})`);
  if (args.length > command.args.max)
    return usageError(out, `${command.name}: unexpected argument "${args[command.args.max]}"`);
  if (command.runsCommand && after.length === 0) {
    return usageError(out, `${command.name}: give the command to run after "--" (${command.usage[0]})`);
  }

  const controller = new AbortController();
  const removeSignalHandlers = command.handlesSignals ? onTermination(controller) : () => {};
  let connection: Promise<Connection> | undefined;
  let failure = {};
  const inv: Invocation = {
    values: parsed.values,
    args,
    command: command.runsCommand ? after : [],
    out,
    signal: controller.signal,
    connect: (connectOptions = {}) => {
      const v = parsed.values;
      let reported = !connectOptions.reportUnreachable;
      connection ??= connect({
        ...(typeof v.endpoint === 'string' && { endpoint: v.endpoint }),
        ...(typeof v.region === 'string' && { region: v.region }),
        ...(typeof v.table === 'string' && { table: v.table }),
        local: v.local === true,
        onCall: (event) => {
          if (reported || event.error === undefined || !isConnectFailure(event.error)) return;
          reported = true;
          out.error(`${describeError(event.error, failure)} (still trying)`);
        },
      }).then((c) => {
        failure = { tableName: c.tableName, endpoint: c.endpoint };
        return c;
      });
      return connection;
    },
  };
  try {
    // The library's timers are unref()ed: hold the process open until the command is done.
    return await keepingAlive(() => command.run(inv));
  } catch (err) {
    if (controller.signal.aborted && err === controller.signal.reason) {
      return err === 'SIGINT' ? ExitCode.Interrupted : 143;
    }
    out.error(describeError(err, failure));
    return exitCodeFor(err);
  } finally {
    removeSignalHandlers();
    // A connection that failed was the command's own error and is reported above; closing one
    // that worked only releases its client as the process exits, so nothing here is news.
    if (connection) await connection.then((c) => c.close()).catch(() => {});
  }
}

/** SIGINT / SIGTERM abort the controller; a second one exits at once (130 / 143). */
function onTermination(controller: AbortController): () => void {
  const handler = (sig: NodeJS.Signals) => {
    // While a command runs it gets the signals (it may well want several Ctrl-C).
    if (controller.signal.aborted && !commandRunning()) process.exit(sig === 'SIGINT' ? 130 : 143);
    controller.abort(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

function usageError(out: ReturnType<typeof createOutput>, message: string): number {
  out.error(message);
  return ExitCode.Usage;
}

function parseErrorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  return message.split('. ')[0] ?? message;
}
