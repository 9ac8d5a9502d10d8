#!/usr/bin/env bash
# Packs dynastore, installs the tarball into an empty project, and uses both subpaths from ESM,
# CommonJS and TypeScript (NodeNext), the way a user would. Needs a build (npm run build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)
cd "$work"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "./$tarball" \
  "@aws-sdk/client-dynamodb@$(node -p "require('$root/node_modules/@aws-sdk/client-dynamodb/package.json').version")" \
  "@aws-sdk/client-dynamodb-streams@$(node -p "require('$root/node_modules/@aws-sdk/client-dynamodb-streams/package.json').version")" \
  "rxjs@$(node -p "require('$root/node_modules/rxjs/package.json').version")" \
  typescript@5.9.3 @types/node@20 >/dev/null
cat > esm.mjs <<'JS'
import { Dynastore, DynastoreError, createTable, KeyExistsError } from 'dynastore';
import { MemoryBackend, VirtualClock, startLocalDynamo } from 'dynastore/testing';
const store = new Dynastore({ backend: new MemoryBackend() });
const kv = store.partition('p');
await kv.put('k', 'v');
if ((await kv.get('k')).text() !== 'v') throw new Error('esm: round trip failed');
if (typeof createTable !== 'function' || typeof startLocalDynamo !== 'function' || !new VirtualClock()) throw new Error('esm exports');
if (!(new KeyExistsError('x') instanceof Error)) throw new Error('esm errors');
const javaMissing = await startLocalDynamo({ javaPath: '/nonexistent/java' }).catch((e) => e);
if (!(javaMissing instanceof DynastoreError)) throw new Error('esm: errors of dynastore/testing must be DynastoreErrors of dynastore');
console.log('esm ok');
JS
cat > cjs.cjs <<'JS'
const { Dynastore } = require('dynastore');
const { MemoryBackend } = require('dynastore/testing');
const store = new Dynastore({ backend: new MemoryBackend() });
store.partition('p').put('k', 'v').then((pair) => {
  if (pair.version !== 1) throw new Error('cjs: round trip failed');
  console.log('cjs ok');
});
JS
cat > types.mts <<'TS'
import { Dynastore, type KVPair } from 'dynastore';
import { MemoryBackend } from 'dynastore/testing';
const store: Dynastore = new Dynastore({ backend: new MemoryBackend() });
const pair: KVPair | undefined = await store.partition('p').get('k');
export { pair };
TS
cat > types.cts <<'TS'
import { Dynastore } from 'dynastore';
import { MemoryBackend } from 'dynastore/testing';
export const store: Dynastore = new Dynastore({ backend: new MemoryBackend() });
TS
node esm.mjs
node cjs.cjs
npx tsc --noEmit --strict --module nodenext --moduleResolution nodenext --target es2022 --skipLibCheck types.mts types.cts
echo "types ok (ESM and CJS, NodeNext)"
