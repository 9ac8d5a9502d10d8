/**
 * A Lambda function attached to the table's stream (an event source mapping, see
 * template.yaml): for each change of a job in partition `jobs`, it appends an audit entry to
 * partition `audit`. Lambda invokes it only for `jobs` rows (the mapping's FilterCriteria, from
 * `streamFilterCriteria`), so its own audit writes never trigger it again.
 *
 * Delivery is at least once: a failed batch is retried from the first record that failed
 * (`forEachChange` returns `batchItemFailures`), so records before it may come again. Each audit
 * entry is keyed by the record's sequence number and written with `atomicPut` (create only): a
 * record seen twice writes once.
 *
 * Deploy: bundle this file (`npm run -s example:stream-trigger:bundle` writes
 * examples/stream-trigger/dist/index.mjs), zip it, upload it to S3, and create the stack from
 * template.yaml (the commands are at its top). In your project, import from 'dynastore' and
 * 'dynastore/lambda' instead of '../../src/...'.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Dynastore, KeyExistsError } from '../../src/index.js';
import {
  type DynamoDBStreamEvent,
  forEachChange,
  type StreamChange,
  streamFilterCriteria,
} from '../../src/lambda.js';

/** The partition this function reacts to. */
export const JOBS = 'jobs';
/** What the mapping's FilterCriteria must be (template.yaml holds it; the example's test checks they agree). */
export const FILTER = streamFilterCriteria({ partition: JOBS });

/** What one audit entry holds. */
export interface AuditEntry {
  readonly job: string;
  readonly change: 'put' | 'delete' | 'unreadable';
  readonly cause: string;
  readonly version?: number;
  readonly value?: string;
  readonly problem?: string;
  readonly at?: string;
}

/** The audit entry of one change: pure, so the handler's only side effect is one write. */
export function auditEntry(change: StreamChange): AuditEntry {
  const at = change.record.createdAt?.toISOString();
  const base = { job: change.key, cause: change.cause, ...(at && { at }) };
  if (change.type === 'put')
    return { ...base, change: 'put', version: change.pair.version, value: change.pair.text() };
  // a row another writer left unreadable is recorded, not dropped and not retried forever
  if (change.invalid) return { ...base, change: 'unreadable', problem: change.invalid.message };
  return { ...base, change: 'delete', ...(change.previous && { version: change.previous.version }) };
}

/** The handler for a store (the deployed one is below; tests pass their own). */
export function createHandler(store: Dynastore) {
  const audit = store.partition('audit');
  return (event: DynamoDBStreamEvent) =>
    forEachChange(
      event,
      async (change) => {
        // one entry per stream record: the sequence number makes a redelivered record a no-op
        const key = `${change.key}/${change.record.sequenceNumber}`;
        try {
          await audit.atomicPut(key, JSON.stringify(auditEntry(change)));
        } catch (err) {
          if (!(err instanceof KeyExistsError)) throw err; // already written by an earlier delivery
        }
      },
      { partition: JOBS },
    );
}

// Created once per Lambda container and reused by every invocation it serves.
let deployed: ((event: DynamoDBStreamEvent) => Promise<unknown>) | undefined;

/** The Lambda entry point (`index.handler` once bundled). */
export function handler(event: DynamoDBStreamEvent) {
  deployed ??= createHandler(
    new Dynastore({ client: new DynamoDBClient({}), tableName: process.env.DYNASTORE_TABLE ?? 'dynastore' }),
  );
  return deployed(event);
}
