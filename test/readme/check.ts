import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { entryPointsOf } from '../../scripts/entry-points.mjs';
import type { CodeBlock } from './blocks.js';

/**
 * The package's import specifiers, and the source files they stand for in this repository: every
 * subpath of package.json's `exports` (`dynastore`, `dynastore/testing`, ...).
 */
export const ENTRY_POINTS: Readonly<Record<string, string>> = entryPointsOf(
  new URL('../../package.json', import.meta.url),
);

/**
 * Names a snippet may use without importing them, from modules other than dynastore: the README
 * leaves these imports out for brevity. (dynastore's own exports are always available too.)
 */
export const OTHER_IMPLICIT: Readonly<Record<string, { from: string; name: string }>> = {
  DynamoDBClient: { from: '@aws-sdk/client-dynamodb', name: 'DynamoDBClient' },
  TransactWriteItemsCommand: { from: '@aws-sdk/client-dynamodb', name: 'TransactWriteItemsCommand' },
  hostname: { from: 'node:os', name: 'hostname' },
  sleep: { from: 'node:timers/promises', name: 'setTimeout' },
};

/** `docs/locks.md` line 12 -> `docs_locks_md_12`: a name for the block's modules. */
export function blockSlug(block: { readonly file: string; readonly line: number }): string {
  return `${block.file.replace(/[^A-Za-z0-9]+/g, '_')}_${block.line}`;
}

/** The key of a block in `typeCheck`'s errors: `file:line`. */
export function blockId(block: { readonly file: string; readonly line: number }): string {
  return `${block.file}:${block.line}`;
}

/** A README (or docs/) block prepared as a module of the repository. */
export interface PreparedBlock {
  readonly block: CodeBlock;
  /** Where the module sits for type-checking (a virtual file beside this one). */
  readonly fileName: string;
  /** Import lines added for the names the block uses without importing them. */
  readonly implicitImports: string[];
  /** The block with `dynastore` imports pointing at the sources. */
  readonly body: string;
  /** Names of the shared scope (test/readme/scope.ts) the block uses without declaring them. */
  readonly scopeNames: string[];
}

/** Identifiers a block mentions (not property names) and the names it declares at its top level. */
function namesOf(code: string): { used: Set<string>; declared: Set<string> } {
  const sf = ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const used = new Set<string>();
  const declared = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) {
      const p = node.parent;
      const isPropertyName =
        (ts.isPropertyAccessExpression(p) && p.name === node) ||
        (ts.isPropertyAssignment(p) && p.name === node) ||
        (ts.isPropertySignature(p) && p.name === node) ||
        (ts.isMethodDeclaration(p) && p.name === node) ||
        (ts.isQualifiedName(p) && p.right === node);
      if (!isPropertyName) used.add(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  const bind = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) declared.add(name.text);
    else for (const el of name.elements) if (!ts.isOmittedExpression(el)) bind(el.name);
  };
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      if (clause?.name) declared.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) declared.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings))
        for (const el of bindings.elements) declared.add(el.name.text);
    } else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) bind(d.name);
    } else if (
      (ts.isFunctionDeclaration(st) ||
        ts.isClassDeclaration(st) ||
        ts.isInterfaceDeclaration(st) ||
        ts.isTypeAliasDeclaration(st) ||
        ts.isEnumDeclaration(st)) &&
      st.name
    ) {
      declared.add(st.name.text);
    }
  }
  return { used, declared };
}

/** Rewrites `from 'dynastore'`, `from 'dynastore/testing'`, ... with `to(entry source file)`. */
export function pointImports(code: string, to: (entry: string) => string): string {
  return code.replace(
    /(from\s+|import\s*\(\s*)(['"])(dynastore(?:\/[\w-]+)?)\2/g,
    (all, head, quote, spec) => {
      const entry = ENTRY_POINTS[spec];
      return entry ? `${head}${quote}${to(entry)}${quote}` : all;
    },
  );
}

/** The compiler's view of the repository: tsconfig.json's options. */
function compilerOptions(root: string): ts.CompilerOptions {
  const file = join(root, 'tsconfig.json');
  const { config } = ts.readConfigFile(file, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root, { noEmit: true }, file);
  return parsed.options;
}

/** Exported names of each module (the specifier to import them from, and whether only a type). */
function exportsOf(
  program: ts.Program,
  files: Record<string, string>,
): Map<string, { spec: string; typeOnly: boolean }> {
  const checker = program.getTypeChecker();
  const owner = new Map<string, { spec: string; typeOnly: boolean }>();
  for (const [spec, file] of Object.entries(files)) {
    const sf = program.getSourceFile(file);
    const symbol = sf && checker.getSymbolAtLocation(sf);
    if (!symbol) throw new Error(`no module symbol for ${file}`);
    for (const e of checker.getExportsOfModule(symbol)) {
      const target = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
      const typeOnly = !(target.flags & ts.SymbolFlags.Value);
      if (!owner.has(e.name)) owner.set(e.name, { spec, typeOnly });
    }
  }
  return owner;
}

/**
 * Type-checks every block against the real sources (tsconfig.json's options), each as its own
 * module, with the implicit imports and the scope's names declared (test/readme/scope.ts).
 * Returns the prepared blocks and, per block (`blockId`: `file:line`), the compiler's messages
 * (none when it passed).
 */
export function typeCheck(
  root: string,
  blocks: readonly CodeBlock[],
): { prepared: PreparedBlock[]; errors: Map<string, string[]> } {
  const options = compilerOptions(root);
  const here = join(root, 'test/readme');
  const scopeFile = join(here, 'scope.ts');
  const entryFiles = Object.fromEntries(Object.entries(ENTRY_POINTS).map(([k, v]) => [k, join(root, v)]));
  const base = ts.createProgram([...Object.values(entryFiles), scopeFile], options);
  const libraryExports = exportsOf(base, entryFiles);
  const scopeChecker = base.getTypeChecker();
  const scopeSf = base.getSourceFile(scopeFile);
  const scopeSymbol = scopeSf && scopeChecker.getSymbolAtLocation(scopeSf);
  if (!scopeSymbol) throw new Error('test/readme/scope.ts has no exports');
  const scopeExports = scopeChecker.getExportsOfModule(scopeSymbol);
  const scopeInterface = scopeExports.find((s) => s.name === 'ReadmeScope');
  if (!scopeInterface) throw new Error('test/readme/scope.ts must export interface ReadmeScope');
  const scopeMembers = scopeChecker
    .getDeclaredTypeOfSymbol(scopeInterface)
    .getProperties()
    .map((p) => p.name);
  const scopeTypes = scopeExports
    .filter(
      (s) => s.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias) && s.name !== 'ReadmeScope',
    )
    .map((s) => s.name);

  const relativeTo = (entry: string) => {
    const r = relative(here, join(root, entry)).replace(/\.ts$/, '.js');
    return r.startsWith('.') ? r : `./${r}`;
  };
  const prepared = blocks.map((block): PreparedBlock => {
    const { used, declared } = namesOf(block.code);
    const free = [...used].filter((n) => !declared.has(n));
    const implicitImports: string[] = [];
    for (const name of free) {
      const exported = libraryExports.get(name);
      if (exported) {
        implicitImports.push(
          `import { ${exported.typeOnly ? 'type ' : ''}${name} } from '${exported.spec}';`,
        );
      } else if (OTHER_IMPLICIT[name]) {
        const o = OTHER_IMPLICIT[name];
        implicitImports.push(
          `import { ${o.name === name ? name : `${o.name} as ${name}`} } from '${o.from}';`,
        );
      } else if (scopeTypes.includes(name))
        implicitImports.push(`import type { ${name} } from './scope.js';`);
    }
    return {
      block,
      fileName: join(here, `__readme_${blockSlug(block)}.ts`),
      implicitImports,
      body: block.code,
      scopeNames: free.filter((n) => scopeMembers.includes(n) && !libraryExports.has(n)),
    };
  });

  const globalsFile = join(here, '__readme_scope.ts');
  const virtual = new Map<string, string>([
    [
      globalsFile,
      `import type { ReadmeScope } from './scope.js';\ndeclare global {\n${scopeMembers
        .map((n) => `  const ${n}: ReadmeScope['${n}'];`)
        .join('\n')}\n}\nexport {};\n`,
    ],
  ]);
  for (const p of prepared) {
    // implicit imports on the block's first line, so that line numbers match the Markdown file's
    const text = pointImports(`${p.implicitImports.join(' ')}\n${p.body}\nexport {};\n`, relativeTo);
    virtual.set(p.fileName, text);
  }
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) =>
    virtual.has(name)
      ? ts.createSourceFile(name, virtual.get(name)!, lang)
      : getSourceFile(name, lang, ...rest);
  host.fileExists = (name) => virtual.has(name) || fileExists(name);
  host.readFile = (name) => virtual.get(name) ?? readFile(name);
  const program = ts.createProgram([...virtual.keys()], options, host, base);

  const errors = new Map<string, string[]>();
  for (const p of prepared) {
    const sf = program.getSourceFile(p.fileName)!;
    const messages = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map(
      (d) => {
        const { line } = d.start === undefined ? { line: 0 } : sf.getLineAndCharacterOfPosition(d.start);
        // line 0 is the implicit imports, line 1 the block's first line (Markdown line + 1)
        return `${p.block.file}:${p.block.line + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      },
    );
    errors.set(blockId(p.block), messages);
  }
  return { prepared, errors };
}

/** This repository's root (two levels above this file). */
export const ROOT = join(dirname(new URL(import.meta.url).pathname), '../..');
export const README = () => readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The Markdown files whose TypeScript blocks are checked: README.md, then docs/*.md in order. */
export function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}
