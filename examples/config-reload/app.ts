/**
 * Reacting to key changes: a service whose feature flag is hot-reloaded through `watch`, without
 * polling and without a restart. It greets every second; flip the flag from anywhere and the very
 * next greeting follows it:
 *
 *   npm run -s dynastore -- dev                          # terminal 1
 *   export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000
 *   npm run example:config                               # terminal 2
 *   npm run -s dynastore -- put config/flags/shout on    # terminal 3, and `... off`, `rm ...`
 *
 * `npm run example:config -- --demo` flips the flag itself a few times and exits (one command,
 * no other terminal needed). In a clone, `npm run -s` (silent) keeps npm's banner off stdout;
 * where dynastore is an installed package, its `dynastore` bin does the same.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connectFromEnv, shutdownSignal } from '../shared/connect.js';

const demo = process.argv.includes('--demo');
const shutdown = shutdownSignal();
const { store, close } = await connectFromEnv();
const config = store.partition('config');

// The live configuration: replaced whenever the key changes (first value: the current state).
let shout = false;
const subscription = config.watch('flags/shout').subscribe({
  next: (event) => {
    shout = event.type === 'put' && event.pair.text().trim() === 'on';
    const how = event.cause === 'snapshot' ? 'loaded' : event.cause === 'expiry' ? 'expired' : 'changed';
    console.log(
      `config ${how}: flags/shout is ${event.type === 'put' ? `"${event.pair.text()}"` : 'absent'}`,
    );
  },
  error: (err: unknown) => {
    console.error(`watch failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
});

let demoOver = false;
const serve = async () => {
  while (!shutdown.aborted && !demoOver) {
    const greeting = 'hello from the config example';
    console.log(shout ? greeting.toUpperCase() : greeting);
    await sleep(1_000, undefined, { signal: shutdown }).catch(() => undefined);
  }
};

/** `--demo`: what you would do from another terminal with the CLI. */
const flipTheFlag = async () => {
  await sleep(1_500);
  console.log('-- demo: dynastore put config/flags/shout on');
  await config.put('flags/shout', 'on');
  await sleep(2_500);
  console.log('-- demo: dynastore put config/flags/shout off');
  await config.put('flags/shout', 'off');
  await sleep(2_500);
  console.log('-- demo: dynastore put config/flags/shout on --ttl 2s');
  await config.put('flags/shout', 'on', { ttlMs: 2_000 });
  await sleep(4_000);
  demoOver = true;
};

await Promise.all([serve(), demo ? flipTheFlag() : undefined]);
subscription.unsubscribe();
await close();
