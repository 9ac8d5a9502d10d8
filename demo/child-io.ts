import type { ChildMessage, ParentMessage } from './protocol.js';

/** Sends a message to the demo (no-op when run by hand without IPC). */
export function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

/**
 * Calls `onMessage` for the demo's messages; exits at once if the demo goes away, so a child can
 * never outlive it (even when the demo is SIGKILLed, the IPC channel closes).
 */
export function listen(onMessage: (message: ParentMessage) => void): void {
  process.on('message', (m) => onMessage(m as ParentMessage));
  process.on('disconnect', () => process.exit(0));
}

/** The `<endpoint> <table>` arguments every child gets. */
export function childArgs(): { endpoint: string; table: string; rest: string[] } {
  const [endpoint, table, ...rest] = process.argv.slice(2);
  if (!endpoint || !table) throw new Error('usage: <endpoint> <table> [...]');
  return { endpoint, table, rest };
}
