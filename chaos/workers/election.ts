import { between, prng } from '../util/random.js';
import { emitter, errorText, type Sink, sleep, stdoutSink, workerStore } from './common.js';
import type { ElectionConfig, WorkerConfig } from './config.js';
import { endReason, holdFor, WAITER_STREAM } from './lease.js';

/**
 * The election workload: campaign as this worker's id, and once elected, lead for a while,
 * checking `leadership.isLeader` every `sampleMs` and printing each positive check as a `leading`
 * claim on the machine's monotonic clock; then resign and campaign again. The nemesis SIGKILLs
 * leaders. Events: `campaign`, `elected` (with the term), `leading`..., then `deposed` (the check
 * found leadership gone) and `resign`. Each candidate also follows `election.observe()` throughout
 * and prints every leader it reports (`observed`, `id` null while nobody leads).
 *
 * @example
 * ```ts
 * await runElection(config); // until config.stopAt
 * ```
 */
export async function runElection(config: WorkerConfig, sink: Sink = stdoutSink): Promise<void> {
  const c = config.election as ElectionConfig;
  const emit = emitter(config, sink);
  const rand = prng(config.seed);
  const { store, client } = workerStore(config, WAITER_STREAM);
  const election = store.election(c.name, { leaseMs: c.leaseMs, maxClockSkewMs: c.maxClockSkewMs });
  let closing = false;
  let observer: { unsubscribe(): void } | undefined;
  const follow = (attempt: number) => {
    observer = election.observe().subscribe({
      next: (leader) => emit('observed', { id: leader?.id ?? null, term: leader?.term.toString() ?? null }),
      error: (err: unknown) => {
        emit('observe-error', { attempt, error: errorText(err) });
        if (!closing) setTimeout(() => follow(attempt + 1), 200);
      },
    });
  };
  follow(0);
  try {
    while (Date.now() < config.stopAt) {
      emit('campaign');
      let leadership: Awaited<ReturnType<typeof election.campaign>>;
      try {
        leadership = await election.campaign(config.id, { waitMs: 4 * c.leaseMs });
      } catch (err) {
        emit('campaign-error', { error: errorText(err) });
        await sleep(between(rand, 20, 100));
        continue;
      }
      const term = leadership.term.toString();
      emit('elected', { term });
      const kept = await holdFor(
        () => leadership.isLeader,
        Math.min(between(rand, c.holdMs[0], c.holdMs[1]), config.stopAt - Date.now()),
        c.sampleMs,
        (m) => emit('leading', { term, m }),
      );
      if (!kept) emit('deposed', { term, reason: endReason(leadership.signal) });
      emit('resign', { term });
      await leadership
        .resign()
        .catch((err: unknown) => emit('resign-error', { term, error: errorText(err) }));
      // Step aside a little, so that leadership moves between candidates.
      await sleep(between(rand, 100, 600));
    }
  } finally {
    closing = true;
    observer?.unsubscribe();
    client.destroy();
  }
}
