import { expect, it } from 'vitest';
import { describeHolder, holderJson } from '../../src/cli/commands/holder.js';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';

it('`dynastore holder` names the session of a session-bound holder and its lease end', async () => {
  const clock = new VirtualClock(1_700_000_000_000);
  const store = new Dynastore({ backend: new MemoryBackend({ clock }), clock });
  const session = await store.session({ leaseMs: 2_000, owner: 'worker-1' });
  await session.lock('jobs/a').acquire();
  const h = await store.lock('jobs/a').holder();
  expect(h).toBeDefined();
  if (!h) return;
  expect(describeHolder(h)).toBe(
    `"worker-1" token ${h.token}, lease 2000ms, expires ${new Date(1_700_000_002_000).toISOString()} (session ${session.id})`,
  );
  expect(holderJson('jobs/a', h)).toMatchObject({ owner: 'worker-1', session: session.id, leaseMs: 2_000 });
  await session.close();
});
