import type { Condition, DeleteInput, QueryInput, TransactItem, WriteInput } from './backend.js';
import { ValidationError } from './errors/store.js';
import { isWellFormed } from './validate.js';

/**
 * Refuses, before any call, a store request carrying a string that has no UTF-8 form (a lone
 * surrogate): DynamoDB would store it as another string (`?` in its place), so two keys would
 * share a row; or a number DynamoDB cannot store (NaN, infinite, 1e126 or more). Both backends run it on every request, so they refuse the same inputs even when
 * the contract is used directly; the public API checks earlier, with friendlier field names.
 *
 * @example
 * ```ts
 * checkStoreInput({ partition: 'p', key: 'a\udc00' }); // ValidationError: key: ...
 * ```
 */
export function checkStoreInput(
  input: Partial<WriteInput & DeleteInput & QueryInput> & { readonly kind?: string },
): void {
  text('partition', input.partition);
  text('key', input.key);
  text('prefix', input.prefix);
  text('after', input.after);
  // a payload the public API checked already (and marked so) is not scanned twice
  if (input.payload !== (input as PayloadMark)[PAYLOAD_CHECKED]) text('payload', input.payload);
  text('encoding', input.encoding);
  number('expiresSec', input.expiresSec);
  const fields = input.fields;
  if (fields) {
    for (const name of Object.keys(fields)) {
      const value = fields[name];
      text('field name', name);
      // the field's name goes into the message only when there is one to write
      if (!isStorable(value)) {
        text(`fields.${name}`, value);
        number(`fields.${name}`, value);
      }
    }
  }
  if (input.condition) checkCondition(input.condition);
}

/**
 * Marks a request whose `payload` the caller has already checked as text (the public API's
 * `encodeValue` does, with its own field name), so that {@link checkStoreInput} does not scan it a
 * second time: a well-formedness scan reads the whole string, up to 400 KB, when it holds any
 * character beyond Latin-1. The mark holds the checked string itself, so a copy of the request
 * with another payload (`{ ...input, payload }`) is checked again. Internal: not exported from the
 * package, so a caller of the store contract cannot skip the check.
 *
 * @example
 * ```ts
 * const write = markPayloadChecked({ partition: 'p', key: 'k', payload: checkedValue });
 * ```
 */
export function markPayloadChecked<T extends { readonly payload?: string | null }>(input: T): T {
  return Object.assign(input, { [PAYLOAD_CHECKED]: input.payload });
}

const PAYLOAD_CHECKED: unique symbol = Symbol('dynastore.payloadChecked');

interface PayloadMark {
  readonly [PAYLOAD_CHECKED]?: string | null;
}

/** A field value that needs no check: null, a boolean, a bigint, a storable number or well-formed text. */
function isStorable(value: unknown): boolean {
  if (typeof value === 'string') return isWellFormed(value);
  if (typeof value === 'number') return isStorableNumber(value);
  return true;
}

/**
 * {@link checkStoreInput} for each element of a transaction.
 *
 * @example
 * ```ts
 * checkTransact([lease.guard(), { kind: 'write', partition: 'p', key: 'k', payload: 'v' }]);
 * ```
 */
export function checkTransact(items: readonly TransactItem[]): void {
  for (const item of items) checkStoreInput(item);
}

function checkCondition(cond: Condition): void {
  switch (cond.op) {
    case 'cmp':
      if (!isStorable(cond.value)) {
        text(`condition on ${cond.attr}`, cond.value);
        number(`condition on ${cond.attr}`, cond.value);
      }
      text('condition attribute', cond.attr);
      return;
    case 'attrExists':
    case 'attrNotExists':
      text('condition attribute', cond.attr);
      return;
    case 'and':
      for (const c of cond.all) checkCondition(c);
      return;
    case 'or':
      for (const c of cond.any) checkCondition(c);
      return;
    case 'not':
      checkCondition(cond.cond);
      return;
    default:
      return;
  }
}

/** DynamoDB numbers are finite, with magnitudes between 1e-130 and under 1e126. */
function isStorableNumber(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value) < 1e126;
}

function number(field: string, value: unknown): void {
  if (typeof value === 'number' && !isStorableNumber(value)) {
    throw new ValidationError(field, `is ${value}, not a number DynamoDB can store`);
  }
}

function text(field: string, value: unknown): void {
  if (typeof value === 'string' && !isWellFormed(value)) {
    throw new ValidationError(
      field,
      'is not well-formed Unicode (a lone surrogate): it has no UTF-8 form, and DynamoDB would store it as another string',
    );
  }
}
