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
} as const;

const emitted = new WeakMap<object, Set<string>>();

/**
 * Emits `message` as a Node process warning (`DynastoreWarning`, with `code`), once per `scope`
 * (e.g. a backend) and message: visible on stderr by default, and to `process.on('warning')`.
 * Does nothing where there is no `process.emitWarning`.
 *
 * @example
 * ```ts
 * warnOnce(backend, 'lock waiters poll the table: ...', WarningCode.FeedFallback);
 * ```
 */
export function warnOnce(scope: object, message: string, code: string): void {
  let seen = emitted.get(scope);
  if (!seen) {
    seen = new Set();
    emitted.set(scope, seen);
  }
  if (seen.has(message)) return;
  seen.add(message);
  const emit = (globalThis as { process?: { emitWarning?: (m: string, o: object) => void } }).process
    ?.emitWarning;
  emit?.call(globalThis.process, message, { type: 'DynastoreWarning', code });
}
