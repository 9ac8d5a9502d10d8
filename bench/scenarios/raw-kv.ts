import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { Meter } from '../meter.js';

/**
 * What a careful user would write by hand with `@aws-sdk/client-dynamodb` for the same three
 * operations, on the same table layout (`id`, `name`, `version`, `payload`, `expires`): the
 * baseline of the kv overhead scenarios. Each call is counted on `meter`.
 *
 * @example
 * ```ts
 * const raw = new RawKv(client, 'bench_dynastore', meter);
 * const version = await raw.put('p', 'k', 'v');
 * ```
 */
export class RawKv {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #meter: Meter;

  constructor(client: DynamoDBClient, table: string, meter: Meter) {
    this.#client = client;
    this.#table = table;
    this.#meter = meter;
  }

  /** Unconditional write; returns the new version. */
  async put(partition: string, key: string, value: string): Promise<number> {
    return this.#update(this.#write(partition, key, value));
  }

  /** Consistent read; returns the payload. */
  async get(partition: string, key: string): Promise<string | undefined> {
    const out = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: keyOf(partition, key),
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.#meter.record({ operation: 'GetItem', readUnits: out.ConsumedCapacity?.CapacityUnits });
    const expires = out.Item?.expires?.N;
    if (expires !== undefined && Number(expires) <= Date.now() / 1000) return undefined;
    return out.Item?.payload?.S;
  }

  /** Compare-and-swap on `version` (and the row still live); returns the new version. */
  async compareAndSwap(partition: string, key: string, value: string, version: number): Promise<number> {
    return this.#update({
      ...this.#write(partition, key, value),
      ConditionExpression: '#v = :prev AND attribute_exists(#id) AND (attribute_not_exists(#e) OR #e > :now)',
      ExpressionAttributeNames: {
        '#p': 'payload',
        '#enc': 'encoding',
        '#e': 'expires',
        '#v': 'version',
        '#id': 'id',
      },
      ExpressionAttributeValues: {
        ':p': { S: value },
        ':one': { N: '1' },
        ':prev': { N: String(version) },
        ':now': { N: String(Math.floor(Date.now() / 1000)) },
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  }

  #write(partition: string, key: string, value: string): UpdateItemCommandInput {
    return {
      TableName: this.#table,
      Key: keyOf(partition, key),
      UpdateExpression: 'SET #p = :p REMOVE #enc, #e ADD #v :one',
      ExpressionAttributeNames: { '#p': 'payload', '#enc': 'encoding', '#e': 'expires', '#v': 'version' },
      ExpressionAttributeValues: { ':p': { S: value }, ':one': { N: '1' } },
      ReturnValues: 'ALL_NEW',
      ReturnConsumedCapacity: 'TOTAL',
    };
  }

  async #update(input: UpdateItemCommandInput): Promise<number> {
    try {
      const out = await this.#client.send(new UpdateItemCommand(input));
      this.#meter.record({ operation: 'UpdateItem', writeUnits: out.ConsumedCapacity?.CapacityUnits });
      return Number(out.Attributes?.version?.N);
    } catch (err) {
      const failed = (err as { name?: string }).name === 'ConditionalCheckFailedException';
      this.#meter.record({ operation: 'UpdateItem', failedCondition: failed });
      throw err;
    }
  }
}

function keyOf(partition: string, key: string): Record<string, AttributeValue> {
  return { id: { S: partition }, name: { S: key } };
}
