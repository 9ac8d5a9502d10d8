import type { CounterLine } from '../chaos/checker/counter.js';
import type { HoldLine } from '../chaos/checker/exclusion.js';
import type { HistoryEvent } from '../chaos/checker/history.js';
import type { RegisterInput, RegisterOutput } from '../chaos/checker/model.js';
import type { WatchLine } from '../chaos/checker/watch.js';
import type { SimLog } from './log.js';
import type { World } from './world.js';

/**
 * What the simulated processes report, in the input formats of the chaos harness's checkers
 * (`chaos/checker/`), stamped with *true* time: the lines a chaos worker would print, without the
 * uncertainty of each machine's own clock.
 *
 * @example
 * ```ts
 * rec.hold('lease', { w: 'p1.1', ev: 'held', token: '42', m: world.now });
 * ```
 */
export class Recorder {
  readonly #world: World;
  readonly #log: SimLog;
  /** API calls completed by simulated processes. */
  ops = 0;
  /** Exclusion lines per lock (a semaphore: per slot). */
  readonly holds = new Map<string, HoldLine[]>();
  readonly election: HoldLine[] = [];
  readonly counter: CounterLine[] = [];
  /** The session workload's fenced counters: lines per lock key (one counter per key). */
  readonly sessionCounters = new Map<string, CounterLine[]>();
  readonly kv: HistoryEvent<RegisterInput, RegisterOutput>[] = [];
  readonly watch: WatchLine[] = [];
  /** Violations found as they happen (protocol checks at the store boundary). */
  readonly online: string[] = [];

  constructor(world: World, log: SimLog) {
    this.#world = world;
    this.#log = log;
  }

  get now(): number {
    return this.#world.now;
  }

  hold(group: string, line: HoldLine): void {
    let lines = this.holds.get(group);
    if (!lines) {
      lines = [];
      this.holds.set(group, lines);
    }
    lines.push(line);
    if (line.ev !== 'held') this.#log.add(`${line.w} ${line.ev} ${group} t=${String(line.token)}`);
  }

  elect(line: HoldLine): void {
    this.election.push(line);
    if (line.ev !== 'leading')
      this.#log.add(`${line.w} ${line.ev} term=${String(line.term)} ${String(line.id ?? '')}`);
  }

  count(line: Omit<CounterLine, 't'>): void {
    this.counter.push({ ...line, t: this.#world.now });
    this.#log.add(
      `${line.w} counter ${line.ev}${line.token ? ` t=${line.token}` : ''}${line.n !== undefined ? ` n=${line.n}` : ''}`,
    );
  }

  /** A line of the session workload's fenced counter of lock `key`. */
  countFor(key: string, line: Omit<CounterLine, 't'>): void {
    let lines = this.sessionCounters.get(key);
    if (!lines) {
      lines = [];
      this.sessionCounters.set(key, lines);
    }
    lines.push({ ...line, t: this.#world.now });
    this.#log.add(
      `${line.w} ${key} counter ${line.ev}${line.token ? ` t=${line.token}` : ''}${line.n !== undefined ? ` n=${line.n}` : ''}`,
    );
  }

  op(event: Omit<HistoryEvent<RegisterInput, RegisterOutput>, 'time'>): void {
    this.kv.push({ ...event, time: this.#world.now });
    const detail =
      event.type === 'invoke'
        ? JSON.stringify(event.input)
        : JSON.stringify(event.output ?? event.error ?? '');
    this.#log.add(`${String(event.process)} kv ${event.type} ${event.key} ${detail}`);
  }

  watched(line: WatchLine): void {
    this.watch.push(line);
    this.#log.add(
      `${line.w} ${line.ev} ${line.sub ?? ''} ${line.key ?? ''} ${line.cause ?? ''} v${line.version ?? ''}`,
    );
  }

  note(text: string): void {
    this.#log.add(text);
  }

  violation(text: string): void {
    this.online.push(`${this.#world.now.toFixed(1)} ms: ${text}`);
    this.#log.add(`VIOLATION ${text}`);
  }
}
