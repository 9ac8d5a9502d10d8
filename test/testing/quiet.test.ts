import { describe, expect, it } from 'vitest';
import { isNodeVersionSupportWarning, silenceNodeVersionWarning } from '../../src/testing/quiet.js';

const SDK_WARNING = `NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)
versions published after the first week of January 2027
will require node >=22. You are running node v20.20.2.`;

function warningsDuring(fn: () => void): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (w: Error) => seen.push(w.message);
  process.on('warning', onWarning);
  fn();
  // 'warning' events are emitted on the next tick
  return new Promise((resolve) =>
    setImmediate(() => {
      process.off('warning', onWarning);
      resolve(seen);
    }),
  );
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
    silenceNodeVersionWarning(); // the setup file already did; nothing changes
    const installed = process.emitWarning;
    silenceNodeVersionWarning();
    expect(process.emitWarning).toBe(installed);
    expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');

    const seen = await warningsDuring(() => {
      process.emitWarning(SDK_WARNING);
      process.emitWarning('an unrelated warning');
      process.emitWarning('a deprecation', { type: 'DeprecationWarning', code: 'DYNASTORE_TEST' });
    });
    expect(seen).toEqual(['an unrelated warning', 'a deprecation']);
  });
});
