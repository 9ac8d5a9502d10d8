// The link checker of `npm run check:links` (scripts/check-links.ts): it finds what is broken, and
// the repository's README and docs/ have nothing broken and every page reachable from both maps.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  anchorsOf,
  checkLinks,
  linksOf,
  markdownUnder,
  slugOf,
  unlinkedPages,
} from '../../scripts/check-links.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe('linksOf', () => {
  it('finds inline links, images, reference definitions and HTML attributes, with their lines', () => {
    const md = 'a [x](docs/a.md#b) and ![i](../img.svg "title")\n[ref]: other.md\n<img src="pic.png">\n';
    expect(linksOf(md)).toEqual([
      { line: 1, target: 'docs/a.md#b' },
      { line: 1, target: '../img.svg' },
      { line: 2, target: 'other.md' },
      { line: 3, target: 'pic.png' },
    ]);
  });

  it('ignores links inside fenced code and code spans', () => {
    const md = '```ts\nconst a = [x](nope.md);\n```\nuse `[y](nope.md)` here\n~~~\n[z](nope.md)\n~~~\n';
    expect(linksOf(md)).toEqual([]);
  });
});

describe('anchors', () => {
  it("are GitHub's slugs of the headings", () => {
    expect(slugOf('AWS Lambda (no timers)')).toBe('aws-lambda-no-timers');
    expect(slugOf('Metrics and cost: `onCall`')).toBe('metrics-and-cost-oncall');
    expect(slugOf('Lock goals: what is met, what is not, and why')).toBe(
      'lock-goals-what-is-met-what-is-not-and-why',
    );
    expect(slugOf("Where an uncontended lock cycle's time goes")).toBe(
      'where-an-uncontended-lock-cycles-time-goes',
    );
    expect(slugOf('See [the docs](x.md) **now**')).toBe('see-the-docs-now');
  });

  it('number repeated headings and skip headings inside code', () => {
    expect([
      ...anchorsOf('# Install\n## Install\n```sh\n# not a heading\n```\n<a id="custom"></a>\n'),
    ]).toEqual(['install', 'install-1', 'custom']);
  });
});

describe('checkLinks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dynastore-links-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'docs/locks.md'), '# Locks\n## Waiting\nBack to [README](../README.md#install).\n');
  writeFileSync(join(dir, 'docs/other.md'), '# Other\n');
  writeFileSync(
    join(dir, 'README.md'),
    [
      '# Title',
      '## Install',
      '[ok](docs/locks.md#waiting) [ok too](#install) [folder](docs/) [site](https://example.com/x.md#nope)',
      '[missing file](docs/nope.md)',
      '[missing anchor](docs/locks.md#sleeping)',
      '[missing here](#nowhere)',
      '[outside](../../etc/passwd)',
    ].join('\n'),
  );

  it('reports each broken file, anchor and escape with its line, and nothing else', () => {
    expect(checkLinks(dir, ['README.md', 'docs/locks.md'])).toEqual([
      'README.md:4: docs/nope.md: no such file or folder (docs/nope.md)',
      'README.md:5: docs/locks.md#sleeping: docs/locks.md has no heading with the anchor #sleeping',
      'README.md:6: #nowhere: README.md has no heading with the anchor #nowhere',
      'README.md:7: ../../etc/passwd points outside the repository',
    ]);
  });

  it('names the pages a map does not link to', () => {
    expect(unlinkedPages(dir, 'README.md', ['docs/locks.md', 'docs/other.md'])).toEqual(['docs/other.md']);
  });
});

describe('the repository', () => {
  const docs = markdownUnder(ROOT, 'docs');

  it('has no broken relative link or anchor in README.md, docs/, examples/ and bench/', () => {
    expect(docs.length).toBeGreaterThanOrEqual(12);
    const files = [
      'README.md',
      'CONTRIBUTING.md',
      'ARCHITECTURE.md',
      ...docs,
      ...markdownUnder(ROOT, 'examples'),
    ];
    expect(checkLinks(ROOT, files)).toEqual([]);
  });

  it('reaches every page of docs/ from README.md and from docs/README.md', () => {
    expect(unlinkedPages(ROOT, 'README.md', docs)).toEqual([]);
    expect(unlinkedPages(ROOT, 'docs/README.md', docs)).toEqual([]);
  });
});
