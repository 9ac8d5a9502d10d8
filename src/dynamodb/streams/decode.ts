import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import type { ChangeRecord } from '../../contract/backend.js';
import type { RawRow } from '../../contract/decode-row.js';
import type { AttributeNames } from '../../contract/names.js';
import { changeFromStream, isTtlService } from '../../contract/stream-change.js';
import type { Telemetry } from '../../contract/telemetry.js';

/**
 * Whether a stream record is DynamoDB's TTL reaper removing an expired item: AWS marks those
 * with `userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' }`.
 *
 * @example
 * ```ts
 * if (isTtlRemoval(record)) console.log('expired');
 * ```
 */
export function isTtlRemoval(record: _Record): boolean {
  return (
    record.eventName === 'REMOVE' && isTtlService(record.userIdentity?.Type, record.userIdentity?.PrincipalId)
  );
}

/**
 * Turns one DynamoDB Streams record (`GetRecords`, view type NEW_AND_OLD_IMAGES) into a
 * {@link ChangeRecord}, through the decoder a Lambda trigger shares (`changeFromStream`).
 * Returns `undefined` for a record that is not about an item (no keys).
 *
 * @example
 * ```ts
 * const change = toChangeRecord(record, defaultAttributeNames);
 * ```
 */
export function toChangeRecord(record: _Record, names: AttributeNames): ChangeRecord | undefined {
  const data = record.dynamodb;
  return changeFromStream(
    {
      eventName: record.eventName,
      keys: data?.Keys as RawRow | undefined,
      oldImage: data?.OldImage as RawRow | undefined,
      newImage: data?.NewImage as RawRow | undefined,
      ttlRemoval: isTtlRemoval(record),
    },
    names,
  );
}

/**
 * Records `dynastore.watch.lag` for one record read from the stream: `nowMs` minus the record's
 * `ApproximateCreationDateTime` (DynamoDB gives it to the second, so lags under a second read as
 * up to a second more or less), in seconds. A record without it records nothing.
 *
 * @example
 * ```ts
 * recordLag(telemetry, record, clock.now());
 * ```
 */
export function recordLag(telemetry: Telemetry, record: _Record, nowMs: number): void {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  if (!(created instanceof Date)) return;
  telemetry.record('dynastore.watch.lag', Math.max(0, nowMs - created.getTime()) / 1000, {});
}
