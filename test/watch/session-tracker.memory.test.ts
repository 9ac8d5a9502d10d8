import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { sessionJudge } from '../../src/facade/session-judge.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { DEAD_REMEMBERED, SessionTracker } from '../../src/watch/sessions.js';

describe('a long-lived watch forgets dead sessions', () => {
  it('a session is forgotten once it is reported dead (only its id is kept, a bounded number of them)', async () => {
    const clock = new VirtualClock(Date.now());
    const backend = new MemoryBackend({ clock });
    const store = new Dynastore({ backend, clock });
    const dead: string[] = [];
    const tracker = new SessionTracker(
      { backend, clock },
      sessionJudge,
      (id) => dead.push(id),
      (err) => {
        throw err;
      },
    );
    const sessions = await Promise.all(
      Array.from({ length: 5 }, () =>
        store.session({ leaseMs: 1_000, heartbeatMs: 300, maxClockSkewMs: 100 }),
      ),
    );
    await tracker.preload(sessions.map((s) => ({ id: s.id, skewMs: 100 })));
    expect(tracker.size).toBe(5);
    for (const s of sessions) {
      await s.close();
      const row = await backend.get(sessionJudge.locate(s.id).partition, s.id, { consistent: true });
      tracker.onRow(s.id, row);
    }
    for (let i = 0; i < 40 && dead.length < 5; i++) await clock.advance(25);
    expect(dead.sort()).toEqual(sessions.map((s) => s.id).sort());
    expect(tracker.size).toBe(0);
    for (const s of sessions) expect(tracker.isDead(s.id)).toBe(true);
    // a later key bound to a dead session: known dead at once, not followed again
    tracker.want(sessions[0]?.id ?? '', 100);
    expect(tracker.size).toBe(0);
    expect(DEAD_REMEMBERED).toBeGreaterThan(0);
    tracker.dispose();
  });
});
