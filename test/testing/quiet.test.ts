import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isNodeVersionSupportWarning } from '../../src/process/quiet.js';

const run = promisify(execFile);

const SDK_WARNING = `NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)
versions published after the first week of January 2027
will require node >=22. You are running node v20.20.2.`;

const FIXTURE = fileURLToPath(new URL('./fixtures/warnings.ts', import.meta.url));

/** Runs the fixture in a fresh Node (so its warnings reach Node's own handler, not this run's stderr). */
async function runFixture(): Promise<{ stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  delete env.NODE_OPTIONS;
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', FIXTURE], { env });
  return { stdout, stderr };
}

describe('silenceNodeVersionWarning', () => {
  it('recognises exactly the AWS SDK Node-version warning', () => {
    expect(isNodeVersionSupportWarning(SDK_WARNING)).toBe(true);
    expect(isNodeVersionSupportWarning(new Error(SDK_WARNING))).toBe(true);
    expect(isNodeVersionSupportWarning('NodeVersionSupportWarning: something else')).toBe(false);
    expect(isNodeVersionSupportWarning('The AWS SDK for JavaScript (v3) is great')).toBe(false);
    expect(isNodeVersionSupportWarning(undefined)).toBe(false);
  });

  it('is idempotent, sets the SDK switch, drops that warning and passes every other one', async () => {
    const { stdout, stderr } = await runFixture();
    expect(JSON.parse(stdout)).toEqual({ idempotent: true, envSwitch: 'true' });
    expect(stderr).not.toContain('NodeVersionSupportWarning');
    expect(stderr).toContain('Warning: an unrelated warning');
    expect(stderr).toContain('[DYNASTORE_TEST] DeprecationWarning: a deprecation');
  });
});
