#!/usr/bin/env node
import { silenceNodeVersionWarning } from '../process/quiet.js';
import { exitWhenFlushed } from './exit.js';
import { run } from './run.js';

silenceNodeVersionWarning();
run(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (err: unknown) => {
    process.stderr.write(`dynastore: ${err instanceof Error ? err.message : String(err)}\n`);
    exitWhenFlushed(1);
  },
);
