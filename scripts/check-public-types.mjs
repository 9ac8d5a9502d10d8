// Audits the bundled declaration files: every type a public signature mentions must be importable.
// rollup-plugin-dts (tsup's dts step) keeps only the declarations reachable from the entry's
// exports, so a declaration that is in an entry's .d.ts (or imported into it from a shared chunk)
// but not in that entry's export list is used by a public signature and cannot be imported.
// Usage: node scripts/check-public-types.mjs <dist dir> (run by scripts/check-pack.sh).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const dist = process.argv[2] ?? 'dist';
const entries = ['index.d.ts', 'testing.d.ts', 'lambda.d.ts'];
const problems = [];

/** Names declared at the top level of a declaration file, and its import and export lists. */
function scan(file) {
  const text = readFileSync(join(dist, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const declared = new Set();
  const imported = new Map(); // local name -> { from, name }
  const exported = new Map(); // exported name -> local name
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const from = st.moduleSpecifier.text;
      for (const el of st.importClause?.namedBindings?.elements ?? []) {
        imported.set(el.name.text, { from, name: (el.propertyName ?? el.name).text });
      }
    } else if (ts.isExportDeclaration(st)) {
      if (!st.exportClause) problems.push(`${file}: export * is not audited`);
      for (const el of st.exportClause?.elements ?? []) {
        exported.set(el.name.text, (el.propertyName ?? el.name).text);
      }
    } else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) declared.add(d.name.getText(sf));
    } else if (ts.isModuleDeclaration(st) && st.name.text === 'global') {
      // global augmentations (declare global) are not names to import
    } else if ('name' in st && st.name && ts.isIdentifier(st.name)) {
      declared.add(st.name.text);
    }
  }
  return { declared, imported, exported };
}

const scanned = new Map(entries.map((entry) => [entry, scan(entry)]));
/** Every name a user can import from one of the entry points. */
const importable = new Set([...scanned.values()].flatMap((s) => [...s.exported.keys()]));
/** The name a shared chunk declares under an alias it exports (`C as Clock` -> Clock). */
const chunkName = (from, alias) => {
  const chunk = scan(from.replace(/^\.\//, '').replace(/\.js$/, '.d.ts'));
  return chunk.exported.get(alias) ?? alias;
};

const chunks = new Set();
for (const [entry, { declared, imported, exported }] of scanned) {
  const exportedLocals = new Set(exported.values());
  for (const name of declared) {
    if (!exportedLocals.has(name) && !importable.has(name)) {
      problems.push(`${entry}: ${name} appears in a public signature but is not exported`);
    }
  }
  for (const { from, name } of imported.values()) {
    if (!from.startsWith('./')) continue; // types of other packages (the AWS SDK, rxjs)
    chunks.add(from);
    const original = chunkName(from, name);
    if (!importable.has(original)) {
      problems.push(`${entry}: ${original} (from ${from}) appears in a public signature but is not exported`);
    }
  }
}

// A shared chunk holds only declarations reachable from the entries: each must be importable too.
for (const from of chunks) {
  const file = from.replace(/^\.\//, '').replace(/\.js$/, '.d.ts');
  for (const name of scan(file).declared) {
    if (!importable.has(name))
      problems.push(`${file}: ${name} appears in a public signature but is not exported`);
  }
}

if (problems.length > 0) {
  console.error(`public types that cannot be imported:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`public types ok: every type in ${entries.join(' and ')} is importable`);
