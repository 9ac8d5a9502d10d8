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
  text('payload', input.payload);
  text('encoding', input.encoding);
  number('expiresSec', input.expiresSec);
  for (const [name, value] of Object.entries(input.fields ?? {})) {
    text('field name', name);
    text(`fields.${name}`, value);
    number(`fields.${name}`, value);
  }
  if (input.condition) checkCondition(input.condition);
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
      text(`condition on ${cond.attr}`, cond.value);
      number(`condition on ${cond.attr}`, cond.value);
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
function number(field: string, value: unknown): void {
  if (typeof value === 'number' && (!Number.isFinite(value) || Math.abs(value) >= 1e126)) {
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
