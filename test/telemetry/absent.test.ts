import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** Runs `code` (ESM, through tsx) with `@opentelemetry/api` made impossible to find, as when it is not installed. */
async function withoutOtel(code: string): Promise<{ stdout: string; stderr: string }> {
  const hide = join(ROOT, '.tmp-hide-otel.cjs');
  writeFileSync(
    hide,
    `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === '@opentelemetry/api' || request.startsWith('@opentelemetry/api/')) {
    const err = new Error("Cannot find module '" + request + "'");
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};
`,
  );
  return run(process.execPath, ['--require', hide, '--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT,
    timeout: 60_000,
  });
}

describe('without @opentelemetry/api installed', () => {
  it('dynastore works, with no telemetry', async () => {
    const { stdout } = await withoutOtel(`
      import { Dynastore } from './src/index.ts';
      import { MemoryBackend } from './src/testing.ts';
      const store = new Dynastore({ backend: new MemoryBackend() });
      if (store.telemetry !== undefined) throw new Error('telemetry without the API');
      const lease = await store.lock('job').acquire();
      await lease.release();
      const session = await store.session({ leaseMs: 3000 });
      await session.close();
      console.log('ok:', lease.token > 0n);
    `);
    expect(stdout.trim()).toBe('ok: true');
  });

  it('the check above sees the API when it is there (so it can fail)', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { Dynastore } from './src/index.ts';
         import { MemoryBackend } from './src/testing.ts';
         console.log(new Dynastore({ backend: new MemoryBackend() }).telemetry !== undefined);`,
      ],
      { cwd: ROOT, timeout: 60_000 },
    );
    expect(stdout.trim()).toBe('true');
  });
});
