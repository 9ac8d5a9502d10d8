import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AttrName, Condition, FieldValue } from '../contract/backend.js';
import type { AttributeNames } from '../contract/names.js';
import { encodeField } from './codec.js';

/**
 * Collects `#name` and `:value` placeholders while expressions are built, so every user-supplied
 * name or value reaches DynamoDB as a placeholder, never spliced into expression text.
 *
 * @example
 * ```ts
 * const x = new Placeholders(defaultAttributeNames);
 * const text = compileCondition({ op: 'cmp', attr: 'version', cmp: '=', value: 3 }, x); // '#n0 = :v0'
 * ```
 */
export class Placeholders {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  readonly #byName = new Map<string, string>();
  readonly #byNumber = new Map<string, string>();
  #valueCount = 0;

  constructor(readonly layout: AttributeNames) {}

  /** Placeholder for a physical attribute name. */
  name(physical: string): string {
    let ph = this.#byName.get(physical);
    if (!ph) {
      ph = placeholder(NAME_PLACEHOLDERS, '#n', this.#byName.size);
      this.#byName.set(physical, ph);
      this.names[ph] = physical;
    }
    return ph;
  }

  /** Placeholder for a logical attribute (`version`, `field:owner`, ...). */
  attr(attr: AttrName): string {
    if (attr === 'version') return this.name(this.layout.version);
    if (attr === 'payload') return this.name(this.layout.payload);
    if (attr === 'expires') return this.name(this.layout.expires);
    return this.name(attr.slice('field:'.length));
  }

  /**
   * Placeholder for a value. Equal numbers share one (a grant's token is both written and
   * compared): the request carries each number once.
   */
  value(value: FieldValue | AttributeValue): string {
    const encoded = typeof value === 'object' ? value : encodeField(value);
    const number = (encoded as { N?: string }).N;
    const known = number === undefined ? undefined : this.#byNumber.get(number);
    if (known) return known;
    const ph = placeholder(VALUE_PLACEHOLDERS, ':v', this.#valueCount++);
    this.values[ph] = encoded;
    if (number !== undefined) this.#byNumber.set(number, ph);
    return ph;
  }

  /** The two maps, omitted when empty (DynamoDB rejects empty maps). */
  toInput(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, AttributeValue>;
  } {
    return {
      ...(this.#byName.size > 0 && { ExpressionAttributeNames: this.names }),
      ...(this.#valueCount > 0 && { ExpressionAttributeValues: this.values }),
    };
  }
}

/** `#n0`, `#n1`, ... and `:v0`, `:v1`, ...: made once, not per request. */
const NAME_PLACEHOLDERS: string[] = [];
const VALUE_PLACEHOLDERS: string[] = [];

function placeholder(made: string[], prefix: string, index: number): string {
  let ph = made[index];
  if (ph === undefined) {
    ph = `${prefix}${index}`;
    made[index] = ph;
  }
  return ph;
}

/**
 * Compiles a {@link Condition} tree into ConditionExpression text. Only a nested `and`/`or` is
 * parenthesised: a function or a comparison binds tighter than `NOT`, `AND` and `OR`, and `NOT`
 * parenthesises its operand, so the text is no longer than the tree needs.
 *
 * @example
 * ```ts
 * compileCondition({ op: 'notExists' }, x); // 'attribute_not_exists(#n0)'
 * ```
 */
export function compileCondition(cond: Condition, x: Placeholders): string {
  switch (cond.op) {
    case 'exists':
      return `attribute_exists(${x.name(x.layout.partition)})`;
    case 'notExists':
      return `attribute_not_exists(${x.name(x.layout.partition)})`;
    case 'attrExists':
      return `attribute_exists(${x.attr(cond.attr)})`;
    case 'attrNotExists':
      return `attribute_not_exists(${x.attr(cond.attr)})`;
    case 'cmp':
      return `${x.attr(cond.attr)} ${cond.cmp} ${x.value(cond.value)}`;
    case 'and':
      return cond.all.length === 0 ? alwaysTrue(x) : cond.all.map((c) => operand(c, x)).join(' AND ');
    case 'or':
      return cond.any.length === 0
        ? `NOT (${alwaysTrue(x)})`
        : cond.any.map((c) => operand(c, x)).join(' OR ');
    case 'not':
      return `NOT (${compileCondition(cond.cond, x)})`;
  }
}

/** An operand of `AND` / `OR`: in parentheses when it is itself an `and` or `or` (or its tautology). */
function operand(cond: Condition, x: Placeholders): string {
  const text = compileCondition(cond, x);
  return cond.op === 'and' || cond.op === 'or' ? `(${text})` : text;
}

/** A tautology for empty `and` (DynamoDB has no literal `true`). */
function alwaysTrue(x: Placeholders): string {
  const p = x.name(x.layout.partition);
  return `attribute_exists(${p}) OR attribute_not_exists(${p})`;
}
