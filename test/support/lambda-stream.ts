import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  type AttributeValue,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { streamsClientFor } from '../../src/dynamodb/streams/client.js';
import type {
  DynamoDBStreamEvent,
  DynamoDBStreamRecord,
  LambdaAttributeValue,
} from '../../src/trigger/types.js';

/**
 * Converts a record read with the Streams API (`GetRecords`) to the JSON shape an event source
 * mapping hands a Lambda function: lower-case `userIdentity` fields, `ApproximateCreationDateTime`
 * in epoch seconds, binary attributes as base64 text, plus `eventSourceARN` and `awsRegion`.
 * The whole record goes through `JSON.stringify`, as Lambda's delivery does.
 *
 * @example
 * ```ts
 * const event = { Records: records.map((r) => toLambdaRecord(r, streamArn)) };
 * ```
 */
export function toLambdaRecord(record: _Record, streamArn: string): DynamoDBStreamRecord {
  const d = record.dynamodb ?? {};
  const lambda = {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion ?? 'us-east-1',
    eventSourceARN: streamArn,
    ...(record.userIdentity && {
      userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId },
    }),
    dynamodb: {
      ...(d.ApproximateCreationDateTime && {
        ApproximateCreationDateTime: Math.floor(d.ApproximateCreationDateTime.getTime() / 1000),
      }),
      ...(d.Keys && { Keys: image(d.Keys) }),
      ...(d.NewImage && { NewImage: image(d.NewImage) }),
      ...(d.OldImage && { OldImage: image(d.OldImage) }),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    },
  };
  return JSON.parse(JSON.stringify(lambda)) as DynamoDBStreamRecord;
}

function image(row: Record<string, AttributeValue>): Record<string, LambdaAttributeValue> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, value(v)]));
}

function value(v: AttributeValue): LambdaAttributeValue {
  if (v.B !== undefined) return { B: Buffer.from(v.B).toString('base64') };
  if (v.BS !== undefined) return { BS: v.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (v.M !== undefined) return { M: image(v.M) };
  if (v.L !== undefined) return { L: v.L.map(value) };
  return v as LambdaAttributeValue;
}

/**
 * Reads a table's stream on DynamoDB Local from its start (every shard, in order) until at least
 * `count` records have arrived, and returns them as one Lambda event (and as read, in `raw`).
 * Fails after `timeoutMs`.
 *
 * @example
 * ```ts
 * const event = await streamAsLambdaEvent(t.client, t.tableName, 3);
 * ```
 */
export async function streamAsLambdaEvent(
  client: DynamoDBClient,
  tableName: string,
  count: number,
  timeoutMs = 15_000,
): Promise<DynamoDBStreamEvent & { streamArn: string; raw: _Record[] }> {
  const streams = await streamsClientFor(client);
  const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${tableName} has no stream`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records: _Record[] = [];
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      while (iterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        records.push(...(page.Records ?? []));
        if (!page.Records?.length) break;
        iterator = page.NextShardIterator;
      }
    }
    if (records.length >= count) {
      return { Records: records.map((r) => toLambdaRecord(r, streamArn)), streamArn, raw: records };
    }
    if (Date.now() > deadline)
      throw new Error(`the stream of ${tableName} has ${records.length} of ${count} records`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
