import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** Runs the house rules (`.dependency-cruiser.cjs`) over `src/` of `cwd`; resolves with the report. */
async function checkLayers(cwd: string): Promise<{ code: number; out: string }> {
  const bin = join(ROOT, 'node_modules', '.bin', 'depcruise');
  const args = ['src', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'err'];
  return run(bin, args, { cwd }).then(
    ({ stdout }) => ({ code: 0, out: stdout }),
    (err: { code: number; stdout: string }) => ({ code: err.code, out: err.stdout }),
  );
}

describe('the layer check (npm run check:layers)', () => {
  it('fails on a lower floor importing a higher one, and on AWS outside src/dynamodb', async () => {
    const { code, out } = await checkLayers(join(import.meta.dirname, 'fixture'));
    expect(code).not.toBe(0);
    expect(out).toMatch(/floor-contract: src\/contract\/upward\.ts → src\/lock\/held\.ts/);
    expect(out).toMatch(/aws-only-in-dynamodb: src\/watch\/aws\.ts → /);
  });
}, 60_000);
