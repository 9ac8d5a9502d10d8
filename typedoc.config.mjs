// `npm run docs` (the API reference, into api-docs/) and `npm run check:docs` (part of
// `npm run lint`): every public entry point of package.json, and any export of them without
// documentation is an error.
import { entryPointsOf } from './scripts/entry-points.mjs';

/** @type {Partial<import('typedoc').TypeDocOptions>} */
const config = {
  entryPoints: Object.values(entryPointsOf(new URL('./package.json', import.meta.url))),
  tsconfig: 'tsconfig.typedoc.json',
  out: 'api-docs',
  name: 'dynastore',
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  // no source links: they would need a GitHub remote, which a clone or CI checkout may not have
  disableSources: true,
  skipErrorChecking: true, // `tsc --noEmit` checks the types; TypeDoc only reads them
  treatWarningsAsErrors: true,
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  requiredToBeDocumented: ['Class', 'Function', 'Interface', 'TypeAlias', 'Variable', 'Enum'],
};

export default config;
