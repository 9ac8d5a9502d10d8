/**
 * The value of a member key: the shards the member holds, as JSON `{"owned":[...]}`.
 *
 * @example
 * ```ts
 * formatMemberValue([1, 2]); // '{"owned":[1,2]}'
 * ```
 */
export function formatMemberValue(owned: readonly number[]): string {
  return JSON.stringify({ owned });
}

/**
 * The shards a member key's value says its member holds. A value another writer left unreadable
 * reads as none (the shard locks stay the truth; such a member is still counted as live).
 *
 * @example
 * ```ts
 * parseMemberValue('{"owned":[1,2]}'); // [1, 2]
 * ```
 */
export function parseMemberValue(value: string): number[] {
  try {
    const parsed = JSON.parse(value) as { owned?: unknown };
    return Array.isArray(parsed.owned) ? parsed.owned.filter((s): s is number => Number.isInteger(s)) : [];
  } catch {
    return [];
  }
}
