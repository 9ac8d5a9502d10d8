import type { Backend } from '../contract/backend.js';
import type { Clock } from '../contract/clock/types.js';
import {
  kvSessionOf,
  recordSessionSighting,
  sessionDeadInMs,
  sessionIdOfRow,
  sessionRowTarget,
} from '../lock/internal.js';
import type { SessionJudge } from '../watch/index.js';

/**
 * The takeover rules of the lock folder, handed to watches so that a key bound to a session
 * (`put(key, value, { session })`) is reported deleted (`cause: 'session'`) once its session is
 * dead, no later than a takeover of the session's locks would be allowed.
 *
 * @example
 * ```ts
 * watchPrefix({ backend, clock, sessions: sessionJudge }, 'p', 'members/');
 * ```
 */
export const sessionJudge: SessionJudge = {
  boundTo: kvSessionOf,
  locate: sessionRowTarget,
  sessionAt: sessionIdOfRow,
  deadInMs: sessionDeadInMs,
};

/**
 * {@link sessionJudge}, also sharing each sighting of a session row with the lock contenders of
 * the same store (backend and clock), so that a takeover after a watch saw a session die need not
 * watch the session row for a whole lease again.
 *
 * @example
 * ```ts
 * watchPrefix({ backend, clock, sessions: sessionJudgeFor(backend, clock) }, 'p', 'members/');
 * ```
 */
export function sessionJudgeFor(backend: Backend, clock: Clock): SessionJudge {
  return {
    ...sessionJudge,
    sighted: (id, item, since) => recordSessionSighting(backend, clock, id, item, since),
  };
}
