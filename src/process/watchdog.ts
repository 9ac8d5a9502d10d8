/**
 * The shell text of a watchdog: it blocks reading a pipe whose only writer is the Node process
 * that started it, and on end-of-file (the writer closed it, or died in any way, SIGKILL
 * included) sends SIGTERM to `target`, polls `alive` for up to `graceTenths` tenths of a second,
 * then sends SIGKILL. Run it in the background with the pipe on its stdin: `{ ... } <&3 &`.
 * With `ignoreSignals` it ignores SIGTERM, SIGINT, SIGQUIT and SIGHUP itself, so it survives
 * signals sent to a process group it belongs to.
 *
 * @example
 * ```ts
 * const script = `{ ${watchdogLoop({ target: '"$pid"', alive: 'kill -0 "$pid"', graceTenths: 50 })} } <&3 &`;
 * ```
 */
export function watchdogLoop(o: {
  /** What `kill` gets: a pid (`"$pid"`), or `0` for the watchdog's own process group. */
  readonly target: string;
  /** A shell condition that holds while the target still needs time to exit. */
  readonly alive: string;
  /** Tenths of a second: a number, or a shell word such as `"$grace"`. */
  readonly graceTenths: number | string;
  /** Ignore SIGTERM, SIGINT, SIGQUIT, SIGHUP (a watchdog inside the group it kills). @default true */
  readonly ignoreSignals?: boolean;
}): string {
  const tenths = typeof o.graceTenths === 'number' ? Math.max(0, Math.ceil(o.graceTenths)) : o.graceTenths;
  return [
    ...(o.ignoreSignals === false ? [] : ["trap '' TERM INT QUIT HUP"]),
    'while read -r _line; do :; done',
    `kill -TERM ${o.target} 2>/dev/null`,
    'n=0',
    `while ${o.alive} 2>/dev/null && [ "$n" -lt ${tenths} ]; do sleep 0.1; n=$((n + 1)); done`,
    `kill -KILL ${o.target} 2>/dev/null`,
  ].join('\n');
}
