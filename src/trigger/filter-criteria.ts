import { ValidationError } from '../contract/errors/store.js';
import { type AttributeNames, resolveAttributeNames } from '../contract/names.js';
import { checkName, checkText, Limits, resolveOptions } from '../contract/validate.js';

/** Lambda's limit on one filter pattern (characters). */
const MAX_PATTERN = 4096;

/**
 * What `streamFilterCriteria` selects.
 *
 * @example
 * ```ts
 * const options: StreamFilterOptions = { partition: 'jobs', prefix: 'eu/' };
 * ```
 */
export interface StreamFilterOptions {
  /** Only rows of this partition. @default undefined (any partition; then `prefix` is required) */
  readonly partition?: string;
  /** Only rows whose key starts with this. @default undefined (any key) */
  readonly prefix?: string;
  /** The table's attribute names, when not Go dynastore's. @default defaultAttributeNames */
  readonly attributeNames?: Partial<AttributeNames>;
}

/**
 * An event source mapping's `FilterCriteria`.
 *
 * @example
 * ```ts
 * const criteria: FilterCriteria = { Filters: [{ Pattern: '{"dynamodb":{"Keys":{"id":{"S":["jobs"]}}}}' }] };
 * ```
 */
export interface FilterCriteria {
  readonly Filters: { readonly Pattern: string }[];
}

/**
 * The `FilterCriteria` of an event source mapping so that Lambda is invoked only for the rows of
 * `partition` whose key starts with `prefix`, in Lambda's event filtering syntax for DynamoDB
 * (on `dynamodb.Keys`: an exact match on the partition key, a `prefix` match on the sort key).
 * Keys are in every record, so it filters puts, deletes and TTL deletes alike. Records Lambda
 * filters out are never delivered (nor retried).
 *
 * @example
 * ```ts
 * streamFilterCriteria({ partition: 'jobs', prefix: 'eu/' });
 * // { Filters: [{ Pattern: '{"dynamodb":{"Keys":{"id":{"S":["jobs"]},"name":{"S":[{"prefix":"eu/"}]}}}}' }] }
 * ```
 */
export function streamFilterCriteria(options: StreamFilterOptions): FilterCriteria {
  if (options === undefined)
    throw new ValidationError('streamFilterCriteria', 'give a partition, a prefix or both');
  const o = resolveOptions('streamFilterCriteria', options, {
    partition: undefined as string | undefined,
    prefix: undefined as string | undefined,
    attributeNames: undefined as Partial<AttributeNames> | undefined,
  });
  const names = resolveAttributeNames(o.attributeNames);
  if (o.partition !== undefined)
    checkName('streamFilterCriteria.partition', o.partition, Limits.partitionBytes);
  if (o.prefix !== undefined) checkText('streamFilterCriteria.prefix', o.prefix);
  const keys: Record<string, unknown> = {};
  if (o.partition !== undefined) keys[names.partition] = { S: [o.partition] };
  if (o.prefix) keys[names.key] = { S: [{ prefix: o.prefix }] };
  if (Object.keys(keys).length === 0)
    throw new ValidationError(
      'streamFilterCriteria',
      'give a partition, a non-empty prefix or both (no filter matches all)',
    );
  const pattern = JSON.stringify({ dynamodb: { Keys: keys } });
  if (pattern.length > MAX_PATTERN)
    throw new ValidationError(
      'streamFilterCriteria',
      `the pattern is ${pattern.length} characters; Lambda takes at most ${MAX_PATTERN}`,
    );
  return { Filters: [{ Pattern: pattern }] };
}
