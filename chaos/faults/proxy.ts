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
import { type CallClass, classify, drawFault, type FaultPlan, type ProxyFaultName } from './plan.js';

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
  #plan: FaultPlan | undefined;

  private constructor(target: { host: string; port: number }, plan: FaultPlan | undefined, seed: number) {
    this.#target = target;
    this.#plan = plan;
    this.#rand = prng(seed);
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.keepAliveTimeout = 5_000;
  }

  /** Starts listening on a free loopback port. */
  static async start(
    target: { host?: string; port: number },
    plan: FaultPlan | undefined,
    seed = 1,
  ): Promise<FaultProxy> {
    const proxy = new FaultProxy({ host: target.host ?? '127.0.0.1', port: target.port }, plan, seed);
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
    if (gone()) return;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
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

  #answerError(res: ServerResponse, status: number, type: string, message: string): void {
    if (res.destroyed) return;
    const body = JSON.stringify({ __type: type, message });
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': String(Buffer.byteLength(body)),
      'x-amzn-requestid': `chaos-${Math.floor(this.#rand() * 1e9)}`,
    });
    res.end(body);
  }
}
