import { ExitCode } from './exit-codes.js';
import type { CommandSpec, OptionSpec } from './spec.js';
import { ADDRESS_SYNTAX, DURATION_SYNTAX } from './values.js';

/**
 * Options every command takes.
 *
 * @example
 * ```ts
 * parseArgs({ options: { ...command.options, ...commonOptions } });
 * ```
 */
export const commonOptions: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', description: 'print results as JSON, one object per line' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

/**
 * Options of the commands that talk to a table.
 *
 * @example
 * ```ts
 * if (command.connects) Object.assign(options, connectionOptions);
 * ```
 */
export const connectionOptions: Readonly<Record<string, OptionSpec>> = {
  endpoint: {
    type: 'string',
    valueName: 'url',
    description: 'DynamoDB endpoint (default $AWS_ENDPOINT_URL_DYNAMODB, $AWS_ENDPOINT_URL, else AWS)',
  },
  region: {
    type: 'string',
    valueName: 'name',
    description: 'AWS region (default $AWS_REGION or the AWS config)',
  },
  table: {
    type: 'string',
    valueName: 'name',
    description: 'table name (default $DYNASTORE_TABLE or dynastore)',
  },
  local: {
    type: 'boolean',
    description: 'use a throw-away embedded DynamoDB Local for this run (needs Java 17+)',
  },
};

const EXIT_CODES: readonly [number, string][] = [
  [ExitCode.Ok, 'success'],
  [ExitCode.Error, 'error (network, credentials, missing table, DynamoDB)'],
  [ExitCode.Usage, 'bad usage or invalid value'],
  [ExitCode.NotFound, 'key not found (get, rm --if-version); nobody leads (leader); lock free (holder)'],
  [ExitCode.Conflict, 'compare-and-swap lost (put --if-absent / --if-version, rm --if-version)'],
  [ExitCode.NotAcquired, 'lock or leadership not acquired in time (lock, elect)'],
  [ExitCode.Lost, 'lease or leadership lost while the command ran; it was stopped (lock, elect)'],
  [
    ExitCode.Interrupted,
    'interrupted by SIGINT (143: SIGTERM): lock and elect while waiting, watch, leader --follow',
  ],
];

/**
 * The top-level `dynastore --help` text.
 *
 * @example
 * ```ts
 * process.stdout.write(mainHelp(commands));
 * ```
 */
export function mainHelp(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  const common = { ...commonOptions, version: VERSION_OPTION };
  const column = flagColumn(connectionOptions, common);
  return [
    'Usage: dynastore <command> [options] [arguments]',
    '',
    'Coordination on Amazon DynamoDB: key/value, locks with fencing tokens, leader election, watch.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Connection options (every command that reads or writes):',
    ...optionLines(connectionOptions, column),
    '',
    'Common options:',
    ...optionLines(common, column),
    '',
    `Durations (--ttl, --lease, --wait, ...): ${DURATION_SYNTAX}.`,
    '',
    'Exit codes:',
    ...EXIT_CODES.map(([code, text]) => `  ${String(code).padEnd(4)}${text}`),
    '  lock and elect exit with the code of their command (128 + n when signal n killed it);',
    '  dev exits 0 when SIGINT or SIGTERM stops it.',
    '',
    'Run `dynastore <command> --help` for the details of one command.',
    '',
  ].join('\n');
}

/**
 * The `dynastore <command> --help` text.
 *
 * @example
 * ```ts
 * process.stdout.write(commandHelp(getCommand));
 * ```
 */
export function commandHelp(command: CommandSpec): string {
  const lines = [
    ...command.usage.map((u, i) => `${i === 0 ? 'Usage: ' : '       '}dynastore ${u}`),
    '',
    wrap(`${capitalize(command.summary)}.${command.description ? ` ${command.description}` : ''}`),
  ];
  const column = flagColumn(command.options, command.connects ? connectionOptions : {}, commonOptions);
  if (Object.keys(command.options).length > 0)
    lines.push('', 'Options:', ...optionLines(command.options, column));
  if (command.connects) lines.push('', 'Connection:', ...optionLines(connectionOptions, column));
  lines.push('', ...optionLines(commonOptions, column));
  if (command.options.partition !== undefined) lines.push('', wrap(`${ADDRESS_SYNTAX}.`));
  if (Object.values(command.options).some((o) => o.valueName === 'duration'))
    lines.push('', wrap(`A duration is ${DURATION_SYNTAX}.`));
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  lines.push('', 'Exit codes: see `dynastore --help`.', '');
  return lines.join('\n');
}

/** `--version`, which only the program takes (`dynastore --version`). */
const VERSION_OPTION: OptionSpec = { type: 'boolean', description: 'print the version' };

function flagText(name: string, o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.valueName ?? 'value'}>` : ''}`;
}

/** Where the descriptions start: after the longest flag of every group shown on one page. */
function flagColumn(...groups: Readonly<Record<string, OptionSpec>>[]): number {
  const flags = groups.flatMap((g) => Object.entries(g).map(([name, o]) => flagText(name, o)));
  return Math.max(20, ...flags.map((f) => f.length)) + 2;
}

function optionLines(options: Readonly<Record<string, OptionSpec>>, column: number): string[] {
  return Object.entries(options).map(([name, o]) => `  ${flagText(name, o).padEnd(column)}${o.description}`);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function wrap(text: string, width = 96): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.join('\n');
}
