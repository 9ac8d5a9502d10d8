/**
 * `npm run check:links` (part of `npm run lint`): every relative link and `#anchor` in README.md,
 * docs/ and the other Markdown files of the repository resolves, and every page of docs/ is
 * reachable from both README.md and docs/README.md. Exits 1 and lists each broken link
 * (`file:line`) otherwise. Links to other sites (`https:`, `mailto:`) are not fetched: the check
 * runs offline, in well under a second.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One link of a Markdown file. */
export interface MarkdownLink {
  /** 1-based line of the link. */
  readonly line: number;
  /** The target as written: `docs/locks.md#waiting`, `#install`, `https://...`. */
  readonly target: string;
}

/** The lines of a Markdown text with fenced code blocks blanked out, so their text is not read as links or headings. */
function proseLines(markdown: string): string[] {
  const lines = markdown.split('\n');
  let fence: string | undefined;
  const out = lines.map((text) => {
    const m = /^\s{0,3}(`{3,}|~{3,})/.exec(text);
    if (fence) {
      if (m?.[1] && m[1][0] === fence[0] && m[1].length >= fence.length && text.trim() === m[1])
        fence = undefined;
      return '';
    }
    if (m?.[1]) {
      fence = m[1];
      return '';
    }
    return text;
  });
  return out;
}

/** A line with its inline code spans blanked out. */
function withoutCodeSpans(text: string): string {
  return text.replace(/(`+)[^`]*?\1/g, (span) => ' '.repeat(span.length));
}

/**
 * The links of a Markdown text: inline `[text](target)` and `![alt](target)`, reference
 * definitions `[id]: target`, and HTML `href` / `src` attributes; none inside code.
 *
 * @example
 * ```ts
 * linksOf('See [locks](docs/locks.md#waiting).\n'); // [{ line: 1, target: 'docs/locks.md#waiting' }]
 * ```
 */
export function linksOf(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const [i, raw] of proseLines(markdown).entries()) {
    const line = i + 1;
    const text = withoutCodeSpans(raw);
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      links.push({ line, target: m[1]! });
    const def = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/.exec(text);
    if (def?.[1]) links.push({ line, target: def[1] });
    for (const m of text.matchAll(/\b(?:href|src)\s*=\s*"([^"]+)"/g)) links.push({ line, target: m[1]! });
  }
  return links;
}

/**
 * GitHub's anchor for a heading's text: lower case, punctuation dropped (letters, digits, `_`,
 * `-` and spaces kept), spaces turned into `-`; inline code, emphasis markers and link syntax are
 * read as the text they show.
 *
 * @example
 * ```ts
 * slugOf('AWS Lambda (no timers)'); // 'aws-lambda-no-timers'
 * ```
 */
export function slugOf(heading: string): string {
  const shown = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '');
  return shown
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/**
 * The anchors a Markdown text defines: one per heading (a repeated one gets `-1`, `-2`, ... as
 * on GitHub) and each HTML `id` / `name` attribute.
 *
 * @example
 * ```ts
 * anchorsOf('# Install\n## Install\n'); // Set { 'install', 'install-1' }
 * ```
 */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const text of proseLines(markdown)) {
    const h = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (h?.[1] !== undefined) {
      const base = slugOf(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of withoutCodeSpans(text).matchAll(/<[^>]*\b(?:id|name)\s*=\s*"([^"]+)"/g))
      anchors.add(m[1]!);
  }
  return anchors;
}

/** What a broken link check found: `file:line: message`. */
export type LinkProblem = string;

/**
 * Checks the relative links of `files` (paths relative to `root`): the file or folder a link
 * names exists, and a `#anchor` into a Markdown file (or the same file) names one of its
 * headings. Returns one line per broken link.
 *
 * @example
 * ```ts
 * const problems = checkLinks(process.cwd(), ['README.md', 'docs/locks.md']);
 * ```
 */
export function checkLinks(root: string, files: readonly string[]): LinkProblem[] {
  const problems: LinkProblem[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsIn = (abs: string): Set<string> => {
    let a = anchorCache.get(abs);
    if (!a) {
      a = anchorsOf(readFileSync(abs, 'utf8'));
      anchorCache.set(abs, a);
    }
    return a;
  };
  for (const file of files) {
    const abs = join(root, file);
    const text = readFileSync(abs, 'utf8');
    for (const { line, target } of linksOf(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // another site
      const hash = target.indexOf('#');
      const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
      const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const where = `${file}:${line}`;
      const resolved = pathPart === '' ? abs : normalize(join(dirname(abs), pathPart.split('?')[0]!));
      if (relative(root, resolved).startsWith('..')) {
        problems.push(`${where}: ${target} points outside the repository`);
        continue;
      }
      if (!existsSync(resolved)) {
        problems.push(`${where}: ${target}: no such file or folder (${relative(root, resolved)})`);
        continue;
      }
      if (anchor === undefined || anchor === '') continue;
      if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
        problems.push(`${where}: ${target}: an #anchor into something that is not a Markdown file`);
        continue;
      }
      if (!anchorsIn(resolved).has(anchor)) {
        problems.push(
          `${where}: ${target}: ${relative(root, resolved)} has no heading with the anchor #${anchor}`,
        );
      }
    }
  }
  return problems;
}

/**
 * Pages of docs/ that `from` (a Markdown file relative to `root`) does not link to.
 *
 * @example
 * ```ts
 * unlinkedPages(process.cwd(), 'README.md', ['docs/locks.md']); // [] when README links to it
 * ```
 */
export function unlinkedPages(root: string, from: string, pages: readonly string[]): string[] {
  const dir = dirname(join(root, from));
  const linked = new Set(
    linksOf(readFileSync(join(root, from), 'utf8'))
      .map((l) => l.target.split('#')[0]!)
      .filter((p) => p !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(p))
      .map((p) => relative(root, normalize(join(dir, decodeURIComponent(p))))),
  );
  return pages.filter((p) => p !== from && !linked.has(p));
}

/** Markdown files under `dir` (relative to `root`), recursively, skipping node_modules and dot folders. */
export function markdownUnder(root: string, dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter(
      (f) =>
        f.endsWith('.md') &&
        !f.split(/[\\/]/).some((part) => part === 'node_modules' || part.startsWith('.')),
    )
    .map((f) => join(dir, f))
    .sort();
}

function main(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const docs = markdownUnder(root, 'docs');
  const top = ['README.md', 'CONTRIBUTING.md', 'ARCHITECTURE.md'].filter((f) => existsSync(join(root, f)));
  const files = [...top, ...docs, ...markdownUnder(root, 'examples'), ...markdownUnder(root, 'bench')];
  const problems = checkLinks(root, files);
  for (const from of ['README.md', 'docs/README.md']) {
    for (const page of unlinkedPages(root, from, docs)) {
      problems.push(`${from}: does not link to ${page} (every page of docs/ must be reachable from it)`);
    }
  }
  if (problems.length > 0) {
    console.error(
      `check-links: ${problems.length} broken link(s):\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
    process.exit(1);
  }
  console.log(`check-links: ${files.length} Markdown files, every relative link and anchor resolves`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
