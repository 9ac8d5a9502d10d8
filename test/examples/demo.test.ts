import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startScript } from './run-script.js';

const demoProcesses = () => {
  try {
    return execFileSync('pgrep', ['-f', 'demo/(worker|watcher)\\.ts'], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
};

/** The sample output the README's Quick start shows (the first untagged code block after it). */
function readmeSample(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const quickStart = readme.slice(readme.indexOf('## Quick start'));
  const m = /\n```\n(\[[\s\S]*?)\n```\n/.exec(quickStart);
  if (!m?.[1]) throw new Error('README: no demo sample output under Quick start');
  return m[1].split('\n').filter((line) => line.trim() !== '' && line !== '...');
}

/**
 * A sample line as a pattern: numbers (times, terms, tokens, counts) and worker names differ from
 * run to run, and a busy machine may elect more leaders than the sample shows.
 */
function linePattern(line: string): RegExp {
  const escaped = line.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (/^ok +leaders: /.test(line.trim())) return /^ok +leaders: .+; terms increase$/m;
  const pattern = escaped.replace(/\d+(\\\.\d+)?/g, '\\d+(\\.\\d+)?').replace(/ +/g, ' *');
  return new RegExp(`^${pattern}$`, 'm');
}

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
    // the README shows this output: each of its lines has a counterpart in a real run
    const printed = r.stdout
      .split('\n')
      .map((l) => l.trim())
      .join('\n');
    for (const line of readmeSample()) expect(printed, line).toMatch(linePattern(line));
  }, 120_000);
});
