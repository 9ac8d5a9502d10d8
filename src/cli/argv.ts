import type { OptionSpec } from './spec.js';

/**
 * Attaches a value that starts with `-` followed by a digit or a dot (`--ttl -5`, `-n -1`) to its
 * string option as `--ttl=-5`, so the argument parser takes it as the value (it would otherwise
 * refuse it as "ambiguous") and the option's own check can say what is wrong with it.
 *
 * @example
 * ```ts
 * attachNegativeValues(['--ttl', '-5', 'k'], { ttl: { type: 'string', description: '' } });
 * // ['--ttl=-5', 'k']
 * ```
 */
export function attachNegativeValues(
  args: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
): string[] {
  const byShort = new Map(
    Object.entries(options)
      .filter(([, o]) => o.short !== undefined)
      .map(([name, o]) => [o.short, name] as const),
  );
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : /^-[^-]$/.test(arg) ? byShort.get(arg[1]) : undefined;
    if (
      name !== undefined &&
      !name.includes('=') &&
      options[name]?.type === 'string' &&
      next !== undefined &&
      /^-[\d.]/.test(next)
    ) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}
