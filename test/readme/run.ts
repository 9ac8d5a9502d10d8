import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { blockId, blockSlug, type PreparedBlock, pointImports } from './check.js';

/**
 * Turns a prepared block (of the README or a docs/ page) into a module whose default export runs it: the block's imports (and
 * the implicit ones) stay at the top, its statements become the body of an async function that
 * receives the scope's values and returns the block's top-level variables (so a test can check
 * what the README's comments promise; `export` is dropped from exported declarations, so a
 * handler a block exports can be called). TypeScript transpiles it (ES2022: `await using` is
 * lowered for Node 20); vitest loads it, so `dynastore` resolves to the same source modules as
 * the test's own imports.
 */
export async function loadBlock(
  root: string,
  dir: string,
  p: PreparedBlock,
): Promise<(scope: object) => Promise<Record<string, unknown>>> {
  const toSource = (entry: string) => {
    const r = relative(dir, join(root, entry));
    return r.startsWith('.') ? r : `./${r}`;
  };
  const sf = ts.createSourceFile('block.ts', p.body, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports: string[] = [];
  const statements: string[] = [];
  const returned: string[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      imports.push(st.getText(sf));
      continue;
    }
    if (ts.isExportDeclaration(st) || ts.isExportAssignment(st) || hasDefaultModifier(st)) {
      throw new Error(`${blockId(p.block)}: a block with export lists or default exports cannot run`);
    }
    // `export const handler = ...` runs as `const handler = ...` (returned like any top-level name)
    const exported = ts.canHaveModifiers(st)
      ? ts.getModifiers(st)?.find((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      : undefined;
    statements.push(
      exported
        ? sf.text.slice(st.getFullStart(), exported.getStart(sf)) +
            sf.text.slice(exported.getEnd(), st.getEnd())
        : st.getFullText(sf),
    );
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) returned.push(...boundNames(d.name));
    } else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name) {
      returned.push(st.name.text);
    }
  }
  const scopeImports = p.implicitImports.map((line) => line.replace("'./scope.js'", "'../scope.js'"));
  const source = [
    ...scopeImports,
    ...imports,
    `export default async function readmeBlock(__scope: any) {`,
    `  const { ${p.scopeNames.join(', ')} } = __scope;`,
    '  {',
    ...statements,
    `;\n    return { ${returned.join(', ')} };`,
    '  }',
    '}',
  ].join('\n');
  const js = ts.transpileModule(pointImports(source, toSource), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    fileName: `${blockSlug(p.block)}.ts`,
  }).outputText;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${blockSlug(p.block)}.mjs`);
  writeFileSync(file, js);
  const mod = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as {
    default: (scope: object) => Promise<Record<string, unknown>>;
  };
  return mod.default;
}

function hasDefaultModifier(st: ts.Statement): boolean {
  return (
    ts.canHaveModifiers(st) &&
    (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)
  );
}

function boundNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((el) => (ts.isOmittedExpression(el) ? [] : boundNames(el.name)));
}
