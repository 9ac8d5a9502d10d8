/**
 * Exits with `code` as soon as what was written to stdout and stderr has been handed to the
 * operating system. The command is done by then (its lease released, its client closed, its
 * child process gone): whatever the library still has scheduled, such as a Streams poller that
 * lingers two seconds after the last watcher in case another one comes, is of no use to a process
 * that is about to end, and must not delay its exit.
 *
 * @example
 * ```ts
 * run(process.argv.slice(2)).then(exitWhenFlushed);
 * ```
 */
export function exitWhenFlushed(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  flush(process.stdout, done);
  flush(process.stderr, done);
}

/** Calls `done` once `stream` has written what it was given (or cannot write any more). */
function flush(stream: NodeJS.WriteStream, done: () => void): void {
  if (stream.destroyed || !stream.writable) {
    done();
    return;
  }
  // The callback of an empty write runs after every write queued before it.
  stream.write('', () => done());
}
