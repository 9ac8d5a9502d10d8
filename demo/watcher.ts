/**
 * The demo's watcher: follows every key of the `demo` partition through `watchPrefix` (DynamoDB
 * Streams), reports changes, and checks the counter's history: each write exactly +1 (no lost
 * update) and fencing tokens never going backwards.
 *
 * Run by `npm run demo`; by hand: `node --import tsx demo/watcher.ts <endpoint> <table>`.
 */
import { Dynastore } from '../src/facade/dynastore.js';
import { localDynamoClient } from '../src/testing/local-client.js';
import { childArgs, listen, send } from './child-io.js';
import { type CounterValue, DEMO_PARTITION } from './protocol.js';

const { endpoint, table } = childArgs();
const client = localDynamoClient(endpoint);
const store = new Dynastore({ client, tableName: table });

let counterWrites = 0;
let lastCount = 0;
let lastToken = -1n;
let gaps = 0;
let tokenRegressions = 0;

const subscription = store
  .partition(DEMO_PARTITION)
  .watchPrefix('')
  .subscribe({
    next: (event) => {
      if (event.cause === 'snapshot') {
        // The demo wrote demo/status before starting us: seeing it means the watch is live.
        if (event.key === 'status') send({ type: 'ready' });
        return;
      }
      if (event.key === 'counter' && event.type === 'put') {
        const value = event.pair.json<CounterValue>();
        counterWrites++;
        if (value.count !== lastCount + 1) gaps++;
        if (BigInt(value.token) < lastToken) tokenRegressions++;
        lastCount = value.count;
        lastToken = BigInt(value.token);
        if (value.count % 10 === 0)
          send({ type: 'change', key: event.key, text: `${value.count} (by ${value.by})` });
        return;
      }
      if (event.key.startsWith('tally/')) return; // written with every increment: too chatty
      send({ type: 'change', key: event.key, text: event.pair ? event.pair.text() : `(${event.type})` });
    },
    error: (err: unknown) => {
      process.stderr.write(`watcher: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  });

listen((m) => {
  if (m.type !== 'stop') return;
  // Let the stream deliver the last writes, then report.
  setTimeout(() => {
    subscription.unsubscribe();
    send({ type: 'watch-summary', counterWrites, lastCount, gaps, tokenRegressions });
    client.destroy();
    process.disconnect?.();
  }, 1_500);
});
