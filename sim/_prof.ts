import { runSeed } from './seed.js';

const t0 = performance.now();
let ops = 0;
let ev = 0;
for (let s = 1; s <= 4; s++) {
  const r = await runSeed(s);
  ops += r.operations;
  ev += r.events;
}
const ms = performance.now() - t0;
console.log('real ms', ms.toFixed(0), 'ops', ops, 'events', ev, 'ops/min', ((ops / ms) * 60000).toFixed(0));
