import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing.ts',
    lambda: 'src/lambda.ts',
    cli: 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  shims: true,
  esbuildOptions(options) {
    // `import '../disposable.js'` exists for the declaration files (it brings the global
    // AsyncDisposable declarations into the bundled .d.ts); that esbuild drops it from the
    // JavaScript, the module having no runtime content, is intended.
    options.logOverride = { ...options.logOverride, 'ignored-bare-import': 'silent' };
  },
});
