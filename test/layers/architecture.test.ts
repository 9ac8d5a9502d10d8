import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');
const doc = readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
const { forbidden } = createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs')) as {
  forbidden: { name: string }[];
};

/** Every file under `dir`, relative to src/. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

describe('ARCHITECTURE.md matches the tree', () => {
  const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());

  it('gives every folder of src/ a row and a floor rule', () => {
    for (const folder of folders) {
      expect(doc, folder).toContain(`| \`${folder}/\` |`);
      expect(
        forbidden.map((r) => r.name),
        folder,
      ).toContain(`floor-${folder}`);
    }
  });

  it('names every source file, and every file it names exists', () => {
    for (const file of filesUnder(SRC)) {
      const [top, ...rest] = file.split('/');
      if (rest.length === 0) continue; // the entry points have their own row
      const named = rest.length > 1 ? `${rest[0]}/` : (rest[0] ?? '');
      // a file is named by its base name in its folder's row, or (for sub-folders) by the sub-folder
      expect(doc.includes(`\`${named}\``) || doc.includes(`${top}/${rest.join('/')}`), file).toBe(true);
    }
    const mentioned = [...doc.matchAll(/`((?:[a-z-]+\/)+[a-z-]+\.ts)`/g)].map((m) => m[1] ?? '');
    expect(mentioned.length).toBeGreaterThan(20);
    for (const path of mentioned) {
      const exists = (() => {
        try {
          return statSync(join(SRC, path)).isFile();
        } catch {
          return false;
        }
      })();
      expect(exists, path).toBe(true);
    }
  });
});
