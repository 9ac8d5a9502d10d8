/**
 * The house rules (ARCHITECTURE.md): folders are floors, and a floor imports only the floors below
 * it, type-only imports included. `npm run lint` runs this through `npm run check:layers`.
 */
/** Floor of each folder of src/ (the entry points src/index.ts and src/testing.ts sit under the CLI). */
const FLOORS = {
  contract: 0,
  memory: 1,
  dynamodb: 1,
  process: 1,
  telemetry: 1,
  lock: 1,
  watch: 1,
  semaphore: 2,
  election: 2,
  trigger: 2,
  workgroup: 2,
  testing: 2,
  facade: 3,
  '(entry)': 4,
  cli: 5,
};

const pathOf = (folder) => (folder === '(entry)' ? '^src/[^/]+\\.ts$' : `^src/${folder}/`);

/** For each folder: it must not import a folder on its own floor or above. */
const floorRules = Object.entries(FLOORS).map(([folder, floor]) => {
  const notBelow = Object.entries(FLOORS)
    .filter(([other, f]) => other !== folder && f >= floor)
    .map(([other]) => pathOf(other));
  return {
    name: `floor-${folder}`,
    comment: `${folder} (floor ${floor}) imports only lower floors: not ${notBelow.join(', ')}`,
    severity: 'error',
    from: { path: pathOf(folder) },
    to: { path: notBelow.length ? `(${notBelow.join('|')})` : '^$' },
  };
});

module.exports = {
  forbidden: [
    ...floorRules,
    {
      name: 'aws-only-in-dynamodb',
      comment: 'everything AWS lives in src/dynamodb (the backend and its Streams poller)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/dynamodb/' },
      to: { path: '@aws-sdk/' },
    },
    {
      name: 'otel-only-in-telemetry',
      comment:
        'OpenTelemetry lives in src/telemetry (an optional peer, loaded optionally); the core reports through contract/telemetry.ts',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/telemetry/' },
      to: { path: '@opentelemetry/' },
    },
    {
      name: 'lock-through-its-api',
      comment:
        'the recipes and the facade use lock/ through its public index.ts or its internal.ts, never its other files',
      severity: 'error',
      from: { path: '^src/(semaphore|election|workgroup|facade)/' },
      to: { path: '^src/lock/', pathNot: '^src/lock/(index|internal)\\.ts$' },
    },
    {
      name: 'cli-on-the-public-api',
      comment:
        'the CLI uses the library through its entry points, plus the small process and AWS-client helpers it shares',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: {
        path: '^src/',
        pathNot: [
          '^src/cli/',
          '^src/(index|testing)\\.ts$',
          '^src/process/',
          '^src/dynamodb/(client|errors|key-schema)\\.ts$',
        ],
      },
    },
    {
      name: 'no-circular',
      comment: 'no file imports itself through others',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
