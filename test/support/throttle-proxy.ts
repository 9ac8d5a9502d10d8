import { createServer, request, type Server } from 'node:http';

/**
 * How the proxy answers a request it throttles, as AWS does on the wire: HTTP 400 with a JSON body
 * naming the error type and, for DynamoDB, its throttling reasons.
 */
export interface ThrottleAnswer {
  /** `ProvisionedThroughputExceededException`, `ThrottlingException`, `RequestLimitExceeded`, ... */
  readonly type: string;
  /** Body member holding the reasons: `ThrottlingReasons` (most errors) or `throttlingReasons` (`ThrottlingException`). */
  readonly member?: 'ThrottlingReasons' | 'throttlingReasons';
  readonly reasons?: readonly { reason: string; resource?: string }[];
}

/** A proxy in front of DynamoDB (Local) that answers chosen requests with throttling errors. */
export interface ThrottleProxy {
  readonly endpoint: string;
  /** Decides per request (by its `X-Amz-Target` operation, e.g. `UpdateItem`) whether to throttle it. */
  throttle: ((operation: string) => ThrottleAnswer | undefined) | undefined;
  /** Operations answered with a throttle so far. */
  readonly throttled: string[];
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 that forwards every request to `target` except those `throttle`
 * picks, which it answers with HTTP 400 and an AWS JSON error body.
 *
 * @example
 * ```ts
 * const proxy = await startThrottleProxy(endpoint);
 * proxy.throttle = (op) => (op === 'UpdateItem' ? { type: 'ProvisionedThroughputExceededException', reasons: [...] } : undefined);
 * ```
 */
export async function startThrottleProxy(target: string): Promise<ThrottleProxy> {
  const to = new URL(target);
  const proxy: ThrottleProxy = {
    endpoint: '',
    throttle: undefined,
    throttled: [],
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const targetHeader = String(req.headers['x-amz-target'] ?? '');
      const operation = targetHeader.slice(targetHeader.lastIndexOf('.') + 1);
      const answer = proxy.throttle?.(operation);
      if (answer) {
        proxy.throttled.push(operation);
        const payload: Record<string, unknown> = {
          __type: `com.amazonaws.dynamodb.v20120810#${answer.type}`,
          message: 'Throughput exceeds the current capacity for one or more resources',
        };
        if (answer.reasons) payload[answer.member ?? 'ThrottlingReasons'] = answer.reasons;
        const text = JSON.stringify(payload);
        res.writeHead(400, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': 'throttle-proxy',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
        return;
      }
      const forward = request(
        {
          host: to.hostname,
          port: to.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: to.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 500, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('throttle proxy: no TCP address');
  Object.assign(proxy, { endpoint: `http://127.0.0.1:${address.port}` });
  return proxy;
}
