/**
 * The codes of the process warnings dynastore emits (`process.on('warning', (w) => w.code)`),
 * with `name` `'DynastoreWarning'`. A warning reports a fallback that keeps a promise in a
 * costlier way; nothing failed.
 *
 * @example
 * ```ts
 * process.on('warning', (w) => {
 *   if ((w as { code?: string }).code === WarningCode.FeedFallback) metrics.increment('lock.polling');
 * });
 * ```
 */
export const WarningCode = {
  /** Lock, semaphore or campaign waiters poll the table: its change feed cannot start or failed. */
  FeedFallback: 'DYNASTORE_FEED_FALLBACK',
  /**
   * A reader that found a key bound to a dead session could not remove its row (the error is also
   * in the store's `onCall` events); the key still reads absent, and the next writer replaces it.
   */
  SessionKeyRemoval: 'DYNASTORE_SESSION_KEY_REMOVAL',
} as const;

/** Messages already emitted in this process (bounded: past the bound it starts afresh). */
const emitted = new Set<string>();
const MAX_REMEMBERED = 1_000;

/**
 * Emits `message` as a Node process warning (`DynastoreWarning`, with `code`), once per process
 * and `key` (default: the message itself): visible on stderr by default, and to `process.on('warning')`. (Many stores, or a
 * test suite's many backends, failing for one reason say it once.) Does nothing where there is no
 * `process.emitWarning`.
 *
 * @example
 * ```ts
 * warnOnce('lock waiters poll the table: ...', WarningCode.FeedFallback);
 * ```
 */
export function warnOnce(message: string, code: string, key: string = message): void {
  if (emitted.has(key)) return;
  if (emitted.size >= MAX_REMEMBERED) emitted.clear();
  emitted.add(key);
  const emit = (globalThis as { process?: { emitWarning?: (m: string, o: object) => void } }).process
    ?.emitWarning;
  emit?.call(globalThis.process, message, { type: 'DynastoreWarning', code });
}
