/**
 * What a member key says: the shards its member holds, and the group's shard count as the member
 * sees it. Stored as JSON `{"owned":[...],"shards":N}`.
 *
 * @example
 * ```ts
 * const p: MemberValue = { owned: [1, 2], shards: 64 };
 * ```
 */
export interface MemberValue {
  readonly owned: number[];
  readonly shards?: number;
}

/**
 * The value of a member key.
 *
 * @example
 * ```ts
 * formatMemberValue([1, 2], 64); // '{"owned":[1,2],"shards":64}'
 * ```
 */
export function formatMemberValue(owned: readonly number[], shards: number): string {
  return JSON.stringify({ owned, shards });
}

/**
 * Reads a member key's value. A value another writer left unreadable reads as holding nothing
 * (the shard locks stay the truth; such a member is still counted as live).
 *
 * @example
 * ```ts
 * parseMemberValue('{"owned":[1,2],"shards":64}'); // { owned: [1, 2], shards: 64 }
 * ```
 */
export function parseMemberValue(value: string): MemberValue {
  try {
    const parsed = JSON.parse(value) as { owned?: unknown; shards?: unknown };
    const owned = Array.isArray(parsed.owned)
      ? parsed.owned.filter((s): s is number => Number.isInteger(s))
      : [];
    const shards = parsed.shards;
    return typeof shards === 'number' && Number.isInteger(shards) && shards > 0
      ? { owned, shards }
      : { owned };
  } catch {
    return { owned: [] };
  }
}
