// The package's public entry points, from package.json's `exports`: each subpath (`dynastore`,
// `dynastore/testing`, ...) and the source file tsup builds it from (`./dist/x.js` <- `src/x.ts`).
// TypeDoc (typedoc.config.mjs) documents exactly these, and the README test (test/readme) lets
// snippets import them; a new subpath in package.json reaches both without another edit.
import { readFileSync } from 'node:fs';

/**
 * `{ 'dynastore': 'src/index.ts', 'dynastore/testing': 'src/testing.ts', ... }`
 *
 * @example
 * ```ts
 * entryPoints(JSON.parse(readFileSync('package.json', 'utf8')));
 * ```
 */
export function entryPoints(pkg) {
  const out = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath === './package.json') continue;
    const built = target.import?.default ?? target.default ?? target;
    if (typeof built !== 'string' || !/^\.\/dist\/[\w/-]+\.js$/.test(built)) {
      throw new Error(`package.json exports["${subpath}"]: no ./dist/*.js build to map to a source file`);
    }
    const spec = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
    out[spec] = built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
  }
  return out;
}

/** The entry points of the package.json at `url`. */
export function entryPointsOf(url) {
  return entryPoints(JSON.parse(readFileSync(url, 'utf8')));
}
