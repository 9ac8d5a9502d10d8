import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startScript } from './run-script.js';

const demoProcesses = () => {
  try {
    return execFileSync('pgrep', ['-f', 'demo/(worker|watcher)\\.ts'], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
};

describe('npm run demo', () => {
  it('runs the whole scenario, passes every check and leaves no process behind', async () => {
    const env = { ...process.env };
    for (const name of Object.keys(env))
      if (name.startsWith('AWS_') || name.startsWith('DYNASTORE_')) delete env[name];
    const r = await startScript('demo/main.ts', [], env).done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/elected leader, term \d+/);
    expect(r.stdout).toMatch(/REFUSED by DynamoDB/);
    expect(r.stdout).toMatch(/elected leader \d+\.\d s after the kill/);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.stdout).toMatch(/All checks passed in \d+\.\d s; processes left running: 0\./);
    expect(demoProcesses()).toBe('');
  }, 120_000);
});
