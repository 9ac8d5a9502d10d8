import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/contract/clock/virtual.js';

describe('VirtualClock', () => {
  it('fires timers in order as time advances, and lets their promises settle', async () => {
    const clock = new VirtualClock(1_000_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 200);
    clock.setTimeout(() => fired.push('a'), 100);
    const chained = (async () => {
      await clock.sleep(150);
      fired.push('slept');
      await clock.sleep(100);
      fired.push('slept-again');
    })();
    await clock.advance(199);
    expect(fired).toEqual(['a', 'slept']);
    await clock.advance(100);
    await chained;
    expect(fired).toEqual(['a', 'slept', 'b', 'slept-again']);
    expect(clock.monotonic()).toBe(299);
    expect(clock.now()).toBe(1_000_299);
    expect(clock.pendingTimers).toBe(0);
  });

  it('cancels timers and rejects an aborted sleep with the reason', async () => {
    const clock = new VirtualClock();
    let fired = false;
    clock
      .setTimeout(() => {
        fired = true;
      }, 10)
      .cancel();
    const ac = new AbortController();
    const sleeping = clock.sleep(1000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    await clock.advance(2000);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('gives skewed views that share timers, and wall jumps that leave monotonic time alone', async () => {
    const clock = new VirtualClock(0);
    const ahead = clock.skewed(500);
    expect(ahead.now() - clock.now()).toBe(500);
    clock.jumpWall(-10_000);
    expect(clock.now()).toBe(-10_000);
    expect(clock.monotonic()).toBe(0);
    let fired = false;
    ahead.setTimeout(() => {
      fired = true;
    }, 5);
    await clock.advance(5);
    expect(fired).toBe(true);
  });
});
