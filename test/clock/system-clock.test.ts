import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/contract/clock/system.js';

describe('systemClock timers', () => {
  it('a timer longer than 2^31-1 ms does not fire early (Node would fire it after 1 ms)', async () => {
    let fired = false;
    const handle = systemClock.setTimeout(() => {
      fired = true;
    }, 30 * 86_400_000); // e.g. the expiry of a watched key with a 30-day TTL
    await new Promise((resolve) => setTimeout(resolve, 50));
    handle.cancel();
    expect(fired).toBe(false);
  });

  it('short timers still fire, and cancel works', async () => {
    let fired = 0;
    systemClock.setTimeout(() => fired++, 5, { keepAlive: true });
    systemClock.setTimeout(() => fired++, 5).cancel();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(fired).toBe(1);
  });
});
