import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** The bare packages a bundle of `entry` imports at run time (AWS SDK and the like left external). */
async function runtimeImports(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
  return [...new Set(imports.filter((p) => !p.startsWith('node:') && !p.startsWith('.')))].sort();
}

describe('dynastore/lambda', () => {
  it('loads no AWS SDK package, nor anything but its own code, at run time', async () => {
    expect(await runtimeImports('src/lambda.ts')).toEqual([]);
  });

  it('the main entry point does load the SDK (so the check above can fail)', async () => {
    expect(await runtimeImports('src/index.ts')).toContain('@aws-sdk/client-dynamodb');
  });

  it('exports the stream trigger functions from both entry points', async () => {
    const lambda = await import('../../src/lambda.js');
    const main = await import('../../src/index.js');
    for (const name of ['changesFromStreamEvent', 'forEachChange', 'streamFilterCriteria'] as const) {
      expect(typeof lambda[name]).toBe('function');
      expect(main[name]).toBe(lambda[name]);
    }
  });
});
