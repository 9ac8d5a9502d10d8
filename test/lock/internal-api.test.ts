import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');

/** Every module specifier (value or type import/export) of every .ts file under `dir`. */
function importsUnder(dir: string): { file: string; spec: string }[] {
  const out: { file: string; spec: string }[] = [];
  for (const name of readdirSync(join(SRC, dir), { recursive: true, encoding: 'utf8' })) {
    if (!name.endsWith('.ts')) continue;
    const file = join(SRC, dir, name);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms))
      out.push({ file: relative(SRC, file), spec: m[1] as string });
  }
  return out;
}

describe('lock: what it offers the floors above', () => {
  it('semaphore, election and facade reach lock only through lock/index.ts and lock/internal.ts', () => {
    const offenders = ['semaphore', 'election', 'facade']
      .flatMap(importsUnder)
      .filter(({ spec }) => /\/lock\//.test(spec) && !/\/lock\/(index|internal)\.js$/.test(spec));
    expect(offenders).toEqual([]);
  });

  it('the contract (ground floor) imports nothing from the floors above it, not even types', () => {
    const offenders = importsUnder('contract').filter(
      ({ spec }) =>
        spec.startsWith('.') &&
        /\/(lock|memory|dynamodb|process|watch|semaphore|election|testing|facade|cli)\//.test(spec),
    );
    expect(offenders).toEqual([]);
  });
});
