/**
 * How a README (or docs/) block is exercised: every ```ts block is type-checked; one whose info string also
 * says `runnable` is run on the memory backend, `runnable dynamodb` on the test run's DynamoDB
 * Local.
 */
export type RunOn = 'memory' | 'dynamodb' | undefined;

/** One fenced TypeScript block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the repository root (`README.md`, `docs/locks.md`). */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
  readonly runOn: RunOn;
}

/**
 * The ```ts (or ```typescript) blocks of a Markdown text, in order, with their run marker.
 * `file` names the text in the blocks and in error messages.
 *
 * @example
 * ```ts
 * tsBlocks('```ts runnable\nawait kv.put("a", "b");\n```\n', 'docs/key-value.md'); // [{ file, line: 1, code: ..., runOn: 'memory' }]
 * ```
 */
export function tsBlocks(markdown: string, file = 'README.md'): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  let open: { line: number; fence: string; info: string[]; body: string[] } | undefined;
  for (const [i, text] of lines.entries()) {
    if (open) {
      if (text.trimEnd() === open.fence) {
        const [lang, ...flags] = open.info;
        if (lang === 'ts' || lang === 'typescript') {
          blocks.push({
            file,
            line: open.line,
            code: open.body.join('\n'),
            runOn: runOnOf(flags, `${file}:${open.line}`),
          });
        }
        open = undefined;
      } else {
        open.body.push(text);
      }
      continue;
    }
    const m = /^(`{3,}|~{3,})\s*(.*)$/.exec(text);
    if (m?.[1]) open = { line: i + 1, fence: m[1], info: (m[2] ?? '').trim().split(/\s+/), body: [] };
  }
  if (open) throw new Error(`${file}:${open.line}: code fence never closed`);
  return blocks;
}

function runOnOf(flags: readonly string[], where: string): RunOn {
  if (flags.length === 0 || (flags.length === 1 && flags[0] === '')) return undefined;
  if (flags[0] !== 'runnable' || flags.length > 2 || (flags[1] !== undefined && flags[1] !== 'dynamodb')) {
    throw new Error(`${where}: unknown code block flags "${flags.join(' ')}" (runnable [dynamodb])`);
  }
  return flags[1] === 'dynamodb' ? 'dynamodb' : 'memory';
}
