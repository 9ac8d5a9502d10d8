import { rmSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  sourcemap: true,
  target: 'node20',
  shims: true,
  // dist/ is emptied once, below, before both builds start: a `clean` per build would race.
  clean: false,
  esbuildOptions(options) {
    // `import '../disposable.js'` exists for the declaration files (it brings the global
    // AsyncDisposable declarations into the bundled .d.ts); that esbuild drops it from the
    // JavaScript, the module having no runtime content, is intended.
    options.logOverride = { ...options.logOverride, 'ignored-bare-import': 'silent' };
  },
};

/** The three public entry points (`dynastore/lambda` loads no package at run time), in both module formats, with types. */
const library = { index: 'src/index.ts', testing: 'src/testing.ts', lambda: 'src/lambda.ts' };

export default defineConfig(() => {
  rmSync('dist', { recursive: true, force: true });
  return [
    // ESM: the library and the `dynastore` command, sharing chunks; types for the library only
    // (the command has none to offer).
    {
      ...shared,
      entry: { ...library, cli: 'src/cli/main.ts' },
      format: ['esm'],
      splitting: true,
      dts: { entry: library },
    },
    // CommonJS: the library only (`bin` runs the ESM build of the command).
    { ...shared, entry: library, format: ['cjs'], splitting: true, dts: { entry: library } },
  ];
});
