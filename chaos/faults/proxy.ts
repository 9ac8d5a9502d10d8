import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { prng } from '../util/random.js';
import { KEY_LIMIT_ERROR, KeyWriteLimiter, type KeyWriteLimitOptions } from './key-limit.js';
import { type CallClass, classify, drawFault, type FaultPlan, type ProxyFaultName } from './plan.js';
import { SHARD_LIMIT_ERROR, ShardLimiter, type ShardLimitOptions } from './shard-limit.js';

const ERROR_TYPES: Partial<Record<ProxyFaultName, { status: number; type: string; message: string }>> = {
  http500: {
    status: 500,
    type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
    message: 'Internal server error (chaos)',
  },
  http503: {
    status: 503,
    type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable',
    message: 'Service unavailable (chaos)',
  },
  expiredIterator: {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#ExpiredIteratorException',
    message: 'Iterator expired (chaos)',
  },
  streamThrottle: {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#LimitExceededException',
    message: 'Rate exceeded (chaos)',
  },
};

const THROTTLES = [
  {
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'Throughput exceeded (chaos)',
  },
  {
    type: 'com.amazon.coral.availability#ThrottlingException',
    message: 'Rate of requests exceeds the allowed throughput (chaos)',
  },
];

/** What the proxy does to every request, faults or not. */
export interface ProxyOptions {
  /**
   * A fixed round trip added to every call (half before forwarding it, half before answering), as
   * a client in the same AWS region sees: the benchmark's network. Rounded to whole milliseconds
   * (Node's timers have no finer grain). @default 0
   */
  readonly rttMs?: number;
  /** Enforce DynamoDB Streams' per-shard GetRecords limit across every client of this proxy. @default off */
  readonly shardLimit?: ShardLimitOptions;
  /** Enforce a per-partition-key write limit (scaled-down DynamoDB) across every client of this proxy. @default off */
  readonly keyWriteLimit?: KeyWriteLimitOptions;
}

/** One answered request, as {@link FaultProxy.onAnswer} listeners see it. */
export interface ProxyAnswer {
  readonly operation: string;
  readonly status: number;
  /** The error's type (`ConditionalCheckFailedException`, ...) when the answer is an error. */
  readonly errorType?: string;
  /** `performance.timeOrigin + performance.now()` when the answer was sent (epoch ms). */
  readonly at: number;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of DynamoDB Local that injects faults by plan: latency,
 * connection resets, 5xx and throttling answers, stalls past the client's timeout, and the nasty
 * one, a write applied by DynamoDB whose answer is then dropped. Counts each fault it injects.
 *
 * @example
 * ```ts
 * const proxy = await FaultProxy.start({ port: local.port }, defaultPlan(1, 2_000), 42);
 * const client = localDynamoClient(proxy.endpoint);
 * ...
 * console.log(proxy.counts);
 * await proxy.stop();
 * ```
 */
export class FaultProxy {
  /** Faults injected so far, by kind. */
  readonly counts: Record<string, number> = {};
  /** Requests seen, by operation. */
  readonly requests: Record<string, number> = {};
  readonly #server: Server;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  readonly #target: { host: string; port: number };
  readonly #rand: () => number;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #oneShot = new Map<CallClass, ProxyFaultName>();
  /** The added round trip in whole milliseconds (Node's timers have no finer grain), split in two. */
  #inMs = 0;
  #outMs = 0;
  readonly #listeners = new Set<(answer: ProxyAnswer) => void>();
  /** The per-shard GetRecords limit, when on (its counts: `served`, `refused`). */
  readonly shardLimit: ShardLimiter | undefined;
  /** The per-partition-key write limit, when on (its counts: `served`, `refused`). */
  readonly keyWriteLimit: KeyWriteLimiter | undefined;
  #plan: FaultPlan | undefined;

  private constructor(
    target: { host: string; port: number },
    plan: FaultPlan | undefined,
    seed: number,
    options: ProxyOptions,
  ) {
    this.shardLimit = options.shardLimit ? new ShardLimiter(options.shardLimit) : undefined;
    this.keyWriteLimit = options.keyWriteLimit ? new KeyWriteLimiter(options.keyWriteLimit) : undefined;
    this.#target = target;
    this.#plan = plan;
    this.#rand = prng(seed);
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.keepAliveTimeout = 5_000;
    this.setRttMs(options.rttMs ?? 0);
  }

  /** Starts listening on a free loopback port. */
  static async start(
    target: { host?: string; port: number },
    plan: FaultPlan | undefined,
    seed = 1,
    options: ProxyOptions = {},
  ): Promise<FaultProxy> {
    const proxy = new FaultProxy(
      { host: target.host ?? '127.0.0.1', port: target.port },
      plan,
      seed,
      options,
    );
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The round trip added to every call from now on (ms; see {@link ProxyOptions.rttMs}). */
  setRttMs(rttMs: number): void {
    if (!(rttMs >= 0) || rttMs > 10_000) throw new Error(`rttMs must be 0..10000, got ${rttMs}`);
    const whole = Math.round(rttMs);
    this.#inMs = Math.ceil(whole / 2);
    this.#outMs = whole - this.#inMs;
  }

  /** Replaces the plan (undefined: forward everything untouched). */
  setPlan(plan: FaultPlan | undefined): void {
    this.#plan = plan;
  }

  /**
   * Injects `fault` into the next request of class `cls` only (deterministic reproductions).
   *
   * @example
   * ```ts
   * proxy.injectNext('write', 'dropAfterApply');
   * await kv.atomicPut('k', 'v', { previous }); // applied, answer lost, retried by the SDK
   * ```
   */
  injectNext(cls: CallClass, fault: ProxyFaultName): void {
    this.#oneShot.set(cls, fault);
  }

  /**
   * Calls `listener` with every answer sent from now on; returns an unsubscribe function.
   *
   * @example
   * ```ts
   * const off = proxy.onAnswer((a) => { if (a.errorType === 'ConditionalCheckFailedException') refused++; });
   * ```
   */
  onAnswer(listener: (answer: ProxyAnswer) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops listening, drops open connections and held requests. */
  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#agent.destroy();
  }

  #count(kind: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, ms);
      this.#timers.add(t);
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      void this.#serve(req, res, Buffer.concat(chunks)).catch(() => res.destroy());
    });
  }

  async #serve(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const { operation, cls } = classify(req.headers['x-amz-target'] as string | undefined);
    this.requests[operation || 'unknown'] = (this.requests[operation || 'unknown'] ?? 0) + 1;
    const plan = this.#plan;
    const classPlan = plan && cls !== 'other' ? plan[cls] : undefined;
    const gone = () => res.destroyed || req.socket.destroyed;
    if (this.#inMs > 0) {
      await this.#delay(this.#inMs);
      if (gone()) return;
    }
    const refusal = this.shardLimit?.admit(operation, body, performance.now());
    if (refusal) {
      this.#count('shardLimit');
      await this.#answerLate(
        res,
        operation,
        SHARD_LIMIT_ERROR.status,
        SHARD_LIMIT_ERROR.type,
        refusal.message,
      );
      return;
    }
    const keyRefusal = this.keyWriteLimit?.admit(operation, body, performance.now());
    if (keyRefusal) {
      this.#count('keyWriteLimit');
      await this.#answerLate(
        res,
        operation,
        KEY_LIMIT_ERROR.status,
        KEY_LIMIT_ERROR.type,
        keyRefusal.message,
        {
          ThrottlingReasons: keyRefusal.throttlingReasons,
        },
      );
      return;
    }
    const latency = classPlan?.latency;
    if (latency && this.#rand() < latency.p) {
      this.#count('latency');
      await this.#delay(latency.minMs + this.#rand() * (latency.maxMs - latency.minMs));
      if (gone()) return;
    }
    const forced = this.#oneShot.get(cls);
    if (forced) this.#oneShot.delete(cls);
    const fault = forced ?? drawFault(classPlan, operation, this.#rand);
    const stallMs = plan?.stallMs ?? 0;
    if (fault) this.#count(fault);
    switch (fault) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'throttle': {
        const t = THROTTLES[Math.floor(this.#rand() * THROTTLES.length)] as (typeof THROTTLES)[number];
        this.#answerError(res, 400, t.type, t.message);
        return;
      }
      case 'timeoutBeforeApply':
        await this.#delay(stallMs);
        req.socket.destroy();
        return;
      case undefined:
      case 'timeoutAfterApply':
      case 'dropAfterApply':
      case 'latency':
        break;
      default: {
        const e = ERROR_TYPES[fault];
        if (e) this.#answerError(res, e.status, e.type, e.message);
        return;
      }
    }
    if (gone()) return;
    const answer = await this.#forward(req, body);
    if (fault === 'dropAfterApply') {
      req.socket.destroy();
      return;
    }
    if (fault === 'timeoutAfterApply') {
      await this.#delay(stallMs);
      req.socket.destroy();
      return;
    }
    if (answer.status === 200) this.shardLimit?.learn(operation, body, answer.body);
    if (this.#outMs > 0) await this.#delay(this.#outMs);
    if (gone()) return;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
    this.#tell(operation, answer.status, answer.status >= 400 ? errorTypeOf(answer.body) : undefined);
  }

  /** An error answer after the second half of the round trip (the shard limit's refusals). */
  async #answerLate(
    res: ServerResponse,
    operation: string,
    status: number,
    type: string,
    message: string,
    extra?: Record<string, unknown>,
  ): Promise<void> {
    if (this.#outMs > 0) await this.#delay(this.#outMs);
    this.#answerError(res, status, type, message, extra);
    this.#tell(operation, status, type.slice(type.indexOf('#') + 1));
  }

  #tell(operation: string, status: number, errorType: string | undefined): void {
    if (this.#listeners.size === 0) return;
    const answer: ProxyAnswer = {
      operation,
      status,
      ...(errorType && { errorType }),
      at: performance.timeOrigin + performance.now(),
    };
    for (const listener of this.#listeners) listener(answer);
  }

  #forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const out = request(
        {
          host: this.#target.host,
          port: this.#target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, 'content-length': String(body.length) },
          agent: this.#agent,
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (c: Buffer) => chunks.push(c));
          answer.on('error', reject);
          answer.on('end', () => {
            const headers: Record<string, string | string[]> = {};
            for (const [k, v] of Object.entries(answer.headers)) {
              if (v !== undefined && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding')
                headers[k] = v;
            }
            resolve({ status: answer.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
          });
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }

  #answerError(
    res: ServerResponse,
    status: number,
    type: string,
    message: string,
    extra?: Record<string, unknown>,
  ): void {
    if (res.destroyed) return;
    const body = JSON.stringify({ __type: type, message, ...extra });
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': String(Buffer.byteLength(body)),
      'x-amzn-requestid': `chaos-${Math.floor(this.#rand() * 1e9)}`,
    });
    res.end(body);
  }
}

/** `ConditionalCheckFailedException` from an error answer's `__type` (`com.amazonaws...#Name`). */
function errorTypeOf(body: Buffer): string | undefined {
  try {
    const type = (JSON.parse(body.toString('utf8')) as { __type?: unknown }).__type;
    return typeof type === 'string' ? type.slice(type.indexOf('#') + 1) : undefined;
  } catch {
    return undefined;
  }
}
