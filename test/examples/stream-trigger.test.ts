import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createHandler, FILTER, JOBS } from '../../examples/stream-trigger/handler.js';
import type { Backend, WriteInput } from '../../src/contract/backend.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import type { DynamoDBStreamEvent } from '../../src/trigger/types.js';
import { checkTemplate } from '../support/cfn-check.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { passesCriteria } from '../support/event-filter.js';
import { streamAsLambdaEvent } from '../support/lambda-stream.js';

const templateText = readFileSync(
  new URL('../../examples/stream-trigger/template.yaml', import.meta.url),
  'utf8',
);

describe('examples/stream-trigger/template.yaml', () => {
  const template = parse(templateText);

  it('passes the schema check against the CloudFormation resource specification', () => {
    expect(checkTemplate(template)).toEqual([]);
  });

  it('the schema check finds what is wrong (so it can fail)', () => {
    const broken = structuredClone(template);
    broken.Resources.Trigger.Properties.FunctionResponseType = ['ReportBatchItemFailures'];
    delete broken.Resources.Trigger.Properties.FunctionName;
    broken.Resources.Trigger.Properties.BatchSize = 'many';
    broken.Resources.Function.Properties.Role = { 'Fn::GetAtt': ['FunctionRole', 'Name'] };
    broken.Resources.Function.Properties.Environment.Variables.DYNASTORE_TABLE = { Ref: 'Tabel' };
    broken.Resources.Queue2 = { Type: 'AWS::SQS::Queues' };
    expect(checkTemplate(broken)).toEqual([
      'Resources.Function.Properties.Role: AWS::IAM::Role has no attribute Name',
      'Resources.Function.Properties.Environment.Variables.DYNASTORE_TABLE: Ref to unknown "Tabel"',
      'Resources.Trigger.Properties.FunctionName: required',
      'Resources.Trigger.Properties.BatchSize: "many" is not a Integer',
      'Resources.Trigger.Properties.FunctionResponseType: not a property of AWS::Lambda::EventSourceMapping',
      'Resources.Queue2: unknown resource type AWS::SQS::Queues',
    ]);
  });

  it("filters with streamFilterCriteria({ partition: 'jobs' }) and reports batch item failures", () => {
    const mapping = template.Resources.Trigger.Properties;
    expect(mapping.FilterCriteria).toEqual(FILTER);
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(template.Resources.Table.Properties.StreamSpecification.StreamViewType).toBe('NEW_AND_OLD_IMAGES');
  });
});

describe('examples/stream-trigger/handler.ts on records read from DynamoDB Local', () => {
  let t: DynamoTable;
  let store: Dynastore;
  let event: DynamoDBStreamEvent;

  beforeAll(async () => {
    t = await useDynamoTable();
    store = new Dynastore({ client: t.client, tableName: t.tableName });
    const jobs = store.partition(JOBS);
    await jobs.put('build-1', 'queued');
    await store.partition('config').put('unrelated', 'x');
    await jobs.put('build-1', 'running');
    await jobs.put('build-2', 'queued', { ttlMs: 60_000 });
    await jobs.delete('build-1');
    const all = await streamAsLambdaEvent(t.client, t.tableName, 5);
    // what Lambda delivers: only the records the mapping's filter lets through
    event = { Records: all.Records.filter((r) => passesCriteria(FILTER, r)) };
  });
  afterAll(() => t?.cleanup());

  const auditLog = async () => {
    const entries: Record<string, unknown>[] = [];
    for await (const p of store.partition('audit').list())
      entries.push({ key: p.key, ...p.json<Record<string, unknown>>() });
    return entries;
  };

  it('the filter lets through the jobs records only', () => {
    expect(event.Records.map((r) => r.dynamodb?.Keys?.id?.S)).toEqual(['jobs', 'jobs', 'jobs', 'jobs']);
  });

  it('writes one audit entry per change; a failed batch retried from its failure writes each once', async () => {
    // first delivery: the store fails on the third write (the third record's audit entry)
    const failing = createHandler(new Dynastore({ backend: failingOnWrite(store.backend, 3) }));
    const first = await failing(event);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: event.Records[2]?.dynamodb?.SequenceNumber }]);
    expect(await auditLog()).toHaveLength(2);
    // Lambda retries from the failed record; here, the whole batch again (delivery is at least once)
    const handler = createHandler(store);
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(await handler({ Records: event.Records.slice(2) })).toEqual({ batchItemFailures: [] });
    const log = await auditLog();
    // listed in key order: job, then sequence number (each record once)
    expect(log.map((e) => [e.job, e.change, e.version, e.value ?? null])).toEqual([
      ['build-1', 'put', 1, 'queued'],
      ['build-1', 'put', 2, 'running'],
      ['build-1', 'delete', 2, null],
      ['build-2', 'put', 1, 'queued'],
    ]);
  });
});

/** The backend, except that its `nth` write (counting from 1) fails as a downstream outage would. */
function failingOnWrite(backend: Backend, nth: number): Backend {
  let writes = 0;
  return new Proxy(backend, {
    get(target, prop, receiver) {
      if (prop === 'write')
        return (input: WriteInput) => {
          if (++writes === nth) return Promise.reject(new Error('the audit store is down'));
          return target.write(input);
        };
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
