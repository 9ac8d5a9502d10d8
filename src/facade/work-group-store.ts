import { ValidationError } from '../contract/errors/store.js';
import type { GroupSession, GroupStore, MemberTable } from '../workgroup/index.js';
import type { Dynastore } from './dynastore.js';
import { Session } from './session.js';

/**
 * What a work group needs from a `Dynastore`: its member keys (a partition of keys bound to the
 * members' sessions) and plain locks to read shard holders.
 *
 * @example
 * ```ts
 * const group = new WorkGroup(groupStore(store), 'encoders', { shards: 64 });
 * ```
 */
export function groupStore(store: Dynastore): GroupStore {
  return {
    clock: store.clock,
    members: (partition) => memberTable(store, partition),
    lock: (key, prefix) => store.lock(key, { prefix }),
  };
}

function memberTable(store: Dynastore, partition: string): MemberTable {
  const kv = store.partition(partition);
  return {
    partition: kv.name,
    create: async (key, value, session) => {
      await kv.atomicPut(key, value, { session: asSession(session) });
    },
    put: async (key, value, session) => {
      await kv.put(key, value, { session: asSession(session) });
    },
    delete: async (key) => {
      await kv.delete(key);
    },
    list: async (prefix) => {
      const out: { key: string; value: string }[] = [];
      for await (const pair of kv.list({ prefix })) out.push({ key: pair.key, value: pair.text() });
      return out;
    },
    watch: (prefix) => kv.watchPrefix(prefix),
  };
}

function asSession(session: GroupSession): Session {
  if (!(session instanceof Session))
    throw new ValidationError('join.session', 'must be a Session from store.session()');
  return session;
}
