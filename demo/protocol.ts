/** Messages between the demo's processes (over the Node IPC channel). */

/** From a worker or the watcher to the demo. */
export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'elected'; readonly term: string }
  | { readonly type: 'stopped-leading' }
  | { readonly type: 'stalling'; readonly token: string; readonly ms: number }
  | { readonly type: 'fenced'; readonly token: string; readonly current: string | undefined }
  | { readonly type: 'stale-accepted'; readonly token: string }
  | { readonly type: 'done'; readonly increments: number; readonly fenced: number }
  | { readonly type: 'change'; readonly key: string; readonly text: string }
  | {
      readonly type: 'watch-summary';
      readonly counterWrites: number;
      readonly lastCount: number;
      readonly gaps: number;
      readonly tokenRegressions: number;
    };

/** From the demo to a child. */
export type ParentMessage = { readonly type: 'stop' } | { readonly type: 'stall'; readonly ms: number };

/** Timing shared by every worker: short leases so the failover shows within seconds. */
export const DEMO_TIMING = {
  election: { leaseMs: 2_000, heartbeatMs: 500, maxClockSkewMs: 200 },
  counterLock: { leaseMs: 1_500, heartbeatMs: 500, maxClockSkewMs: 200 },
} as const;

/** The counter's stored form: the count, who wrote it, and the fencing token of that write. */
export interface CounterValue {
  readonly count: number;
  readonly by: string;
  readonly token: string;
}

/** The partition the demo's data lives in. */
export const DEMO_PARTITION = 'demo';
