import { kvSessionOf, sessionDeadInMs, sessionIdOfRow, sessionRowTarget } from '../lock/internal.js';
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
