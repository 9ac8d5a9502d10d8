import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  type AttributeValue,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';

/** A scripted DynamoDB (DescribeTable only) + DynamoDB Streams endpoint, for the poller's unit tests. */

export const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024-01-01T00:00:00.000';

export interface FakeShard {
  readonly id: string;
  readonly parentId?: string;
  readonly records: _Record[];
  closed: boolean;
  /** Records below this index are trimmed. */
  trimmed: number;
  /** Not listed by DescribeStream (yet). */
  hidden: boolean;
}

export interface Call {
  readonly op: string;
  readonly input: Record<string, unknown>;
}

type Op = 'DescribeTable' | 'DescribeStream' | 'GetShardIterator' | 'GetRecords';

/** An AWS-SDK-shaped service error. */
export function awsError(name: string, status = 400): Error {
  const err = new Error(`${name} (scripted)`) as Error & { $metadata: unknown; $fault: string };
  err.name = name;
  err.$metadata = { httpStatusCode: status };
  err.$fault = status >= 500 ? 'server' : 'client';
  return err;
}

let seq = 0;
const nextSeq = () => String(++seq).padStart(21, '0');

function s(v: string): AttributeValue {
  return { S: v };
}

/** A stream record of a row in the default layout. */
export function putRecord(
  key: string,
  version: number,
  opts: { partition?: string; payload?: string; expiresSec?: number; old?: boolean } = {},
): _Record {
  const partition = opts.partition ?? 'p';
  const image = (v: number): Record<string, AttributeValue> => ({
    id: s(partition),
    name: s(key),
    version: { N: String(v) },
    payload: s(opts.payload ?? `v${v}`),
    ...(opts.expiresSec !== undefined && { expires: { N: String(opts.expiresSec) } }),
  });
  return {
    eventName: version === 1 ? 'INSERT' : 'MODIFY',
    dynamodb: {
      Keys: { id: s(partition), name: s(key) },
      NewImage: image(version),
      ...(version > 1 && { OldImage: image(version - 1) }),
      SequenceNumber: nextSeq(),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

export function deleteRecord(
  key: string,
  version: number,
  opts: { partition?: string; ttl?: boolean } = {},
): _Record {
  const partition = opts.partition ?? 'p';
  return {
    eventName: 'REMOVE',
    dynamodb: {
      Keys: { id: s(partition), name: s(key) },
      OldImage: { id: s(partition), name: s(key), version: { N: String(version) } },
      SequenceNumber: nextSeq(),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    ...(opts.ttl && { userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' } }),
  };
}

interface Iter {
  shardId: string;
  pos: number;
  expired: boolean;
}

/**
 * The fake endpoint. Shards, records and failures are scripted by the test; every call is logged
 * in `calls`. `hang` makes matching calls wait until aborted (to check that stopping aborts them).
 */
export class FakeStreams {
  readonly shards = new Map<string, FakeShard>();
  readonly calls: Call[] = [];
  table: {
    StreamSpecification?: { StreamEnabled: boolean; StreamViewType?: string };
    LatestStreamArn?: string;
  } = {
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    LatestStreamArn: STREAM_ARN,
  };
  streamStatus = 'ENABLED';
  /** Shards per DescribeStream page (the real limit is 100). */
  pageSize = 100;
  /** Max records per GetRecords (the real limit is 1000). */
  recordsPerCall = 1000;
  inFlight = 0;
  readonly #failures: { op: Op; err: Error; times: number }[] = [];
  readonly #iters = new Map<string, Iter>();
  #iterSeq = 0;
  #hang = new Set<Op>();

  addShard(
    id: string,
    opts: { parentId?: string; closed?: boolean; hidden?: boolean; records?: _Record[] } = {},
  ): FakeShard {
    const shard: FakeShard = {
      id,
      ...(opts.parentId && { parentId: opts.parentId }),
      records: opts.records ?? [],
      closed: opts.closed ?? false,
      trimmed: 0,
      hidden: opts.hidden ?? false,
    };
    this.shards.set(id, shard);
    return shard;
  }

  write(shardId: string, ...records: _Record[]): void {
    const shard = this.shards.get(shardId);
    if (!shard) throw new Error(`no shard ${shardId}`);
    if (shard.closed) throw new Error(`shard ${shardId} is closed`);
    shard.records.push(...records);
  }

  /** Fails the next `times` calls of `op` with `err`. */
  fail(op: Op, err: Error, times = 1): void {
    this.#failures.push({ op, err, times });
  }

  hang(op: Op, on = true): void {
    if (on) this.#hang.add(op);
    else this.#hang.delete(op);
  }

  expireIterators(): void {
    for (const it of this.#iters.values()) it.expired = true;
  }

  count(op: Op): number {
    return this.calls.filter((c) => c.op === op).length;
  }

  /** The `client` option: answers DescribeTable. */
  get dynamoClient(): DynamoDBClient {
    return {
      send: (cmd: unknown, opts?: { abortSignal?: AbortSignal }) => this.#send(cmd, opts),
    } as unknown as DynamoDBClient;
  }

  /** The `streamsClient` option. */
  get streamsClient(): DynamoDBStreamsClient {
    return {
      send: (cmd: unknown, opts?: { abortSignal?: AbortSignal }) => this.#send(cmd, opts),
    } as unknown as DynamoDBStreamsClient;
  }

  async #send(cmd: unknown, opts?: { abortSignal?: AbortSignal }): Promise<unknown> {
    const op = opName(cmd);
    const input = (cmd as { input: Record<string, unknown> }).input;
    this.calls.push({ op, input });
    this.inFlight++;
    try {
      await Promise.resolve();
      if (this.#hang.has(op)) await untilAborted(opts?.abortSignal);
      opts?.abortSignal?.throwIfAborted();
      const failure = this.#failures.find((f) => f.op === op && f.times > 0);
      if (failure) {
        failure.times--;
        throw failure.err;
      }
      return this.#answer(op, input);
    } finally {
      this.inFlight--;
    }
  }

  #answer(op: Op, input: Record<string, unknown>): unknown {
    switch (op) {
      case 'DescribeTable':
        return { Table: { TableName: input.TableName, ...this.table } };
      case 'DescribeStream':
        return this.#describe(input);
      case 'GetShardIterator':
        return this.#iterator(input);
      case 'GetRecords':
        return this.#records(input);
    }
  }

  #describe(input: Record<string, unknown>): unknown {
    const listed = [...this.shards.values()].filter((sh) => !sh.hidden);
    const start = input.ExclusiveStartShardId
      ? listed.findIndex((sh) => sh.id === input.ExclusiveStartShardId) + 1
      : 0;
    const page = listed.slice(start, start + Math.min(this.pageSize, Number(input.Limit ?? 100)));
    const more = start + page.length < listed.length;
    return {
      StreamDescription: {
        StreamArn: STREAM_ARN,
        StreamStatus: this.streamStatus,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
        Shards: page.map((sh) => ({
          ShardId: sh.id,
          ...(sh.parentId && { ParentShardId: sh.parentId }),
          SequenceNumberRange: {
            StartingSequenceNumber: sh.records[0]?.dynamodb?.SequenceNumber ?? '0',
            ...(sh.closed && { EndingSequenceNumber: sh.records.at(-1)?.dynamodb?.SequenceNumber ?? '0' }),
          },
        })),
        ...(more && { LastEvaluatedShardId: page.at(-1)?.id }),
      },
    };
  }

  #iterator(input: Record<string, unknown>): unknown {
    const shard = this.shards.get(String(input.ShardId));
    if (!shard) throw awsError('ResourceNotFoundException');
    let pos: number;
    switch (input.ShardIteratorType) {
      case 'LATEST':
        pos = shard.records.length;
        break;
      case 'TRIM_HORIZON':
        pos = shard.trimmed;
        break;
      case 'AFTER_SEQUENCE_NUMBER':
      case 'AT_SEQUENCE_NUMBER': {
        const idx = shard.records.findIndex((r) => r.dynamodb?.SequenceNumber === input.SequenceNumber);
        if (idx < 0) throw awsError('ValidationException');
        if (idx < shard.trimmed) throw awsError('TrimmedDataAccessException');
        pos = input.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER' ? idx + 1 : idx;
        break;
      }
      default:
        throw awsError('ValidationException');
    }
    return { ShardIterator: this.#issue(shard.id, pos) };
  }

  #records(input: Record<string, unknown>): unknown {
    const it = this.#iters.get(String(input.ShardIterator));
    if (!it) throw awsError('ValidationException');
    if (it.expired) throw awsError('ExpiredIteratorException');
    const shard = this.shards.get(it.shardId);
    if (!shard) throw awsError('ResourceNotFoundException');
    if (it.pos < shard.trimmed) throw awsError('TrimmedDataAccessException');
    const limit = Math.min(this.recordsPerCall, Number(input.Limit ?? 1000));
    const records = shard.records.slice(it.pos, it.pos + limit);
    const pos = it.pos + records.length;
    const ended = shard.closed && pos >= shard.records.length;
    return { Records: records, ...(!ended && { NextShardIterator: this.#issue(shard.id, pos) }) };
  }

  #issue(shardId: string, pos: number): string {
    const id = `it-${++this.#iterSeq}`;
    this.#iters.set(id, { shardId, pos, expired: false });
    return id;
  }
}

function opName(cmd: unknown): Op {
  if (cmd instanceof DescribeTableCommand) return 'DescribeTable';
  if (cmd instanceof DescribeStreamCommand) return 'DescribeStream';
  if (cmd instanceof GetShardIteratorCommand) return 'GetShardIterator';
  if (cmd instanceof GetRecordsCommand) return 'GetRecords';
  throw new Error(`unexpected command ${(cmd as object)?.constructor?.name}`);
}

function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal || signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
