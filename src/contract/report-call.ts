import type { CallEvent, CallListener } from './backend.js';

/**
 * Tells `listener` (a backend's `onCall`) about one call. The event is built only when there is a
 * listener, and whatever the listener throws is swallowed: a metrics listener must never break a
 * call.
 *
 * @example
 * ```ts
 * reportCall(onCall, () => ({ operation: 'GetItem', table: 'jobs', durationMs: 3 }));
 * ```
 */
export function reportCall(listener: CallListener | undefined, event: () => CallEvent): void {
  if (!listener) return;
  try {
    listener(event());
  } catch {
    // a metrics listener must never break a call
  }
}
