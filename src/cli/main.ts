#!/usr/bin/env node
import { silenceNodeVersionWarning } from '../process/quiet.js';
import { run } from './run.js';

silenceNodeVersionWarning();
run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Whatever might still hold the event loop (a socket the SDK keeps alive), do not hang.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`dynastore: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
