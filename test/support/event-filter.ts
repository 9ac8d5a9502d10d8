/**
 * A small evaluator of Lambda's event filtering syntax (the subset dynastore's patterns and
 * AWS's DynamoDB examples use), to check what a `FilterCriteria` lets through against real
 * records: a pattern is an object of fields; a field's pattern is either a nested object (match
 * the event's field of that name) or an array of alternatives, each a literal (equal), or
 * `{ prefix }`, `{ suffix }`, `{ exists }`, `{ 'anything-but': [...] }`. An operator it does not
 * know throws, so a pattern using one is never silently taken as matching.
 *
 * @example
 * ```ts
 * matchesFilter({ dynamodb: { Keys: { id: { S: ['jobs'] } } } }, record); // boolean
 * ```
 */
export function matchesFilter(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new Error(`a pattern must be an object, got ${JSON.stringify(pattern)}`);
  for (const [field, sub] of Object.entries(pattern)) {
    const value = isObject(event) ? event[field] : undefined;
    if (Array.isArray(sub)) {
      if (!sub.some((alt) => matchesAlternative(alt, value))) return false;
    } else if (isObject(sub)) {
      if (!matchesFilter(sub, value)) return false;
    } else throw new Error(`field "${field}": a pattern value must be an array or an object`);
  }
  return true;
}

/**
 * Whether an event passes any of the criteria's filters (Lambda ORs the filters).
 *
 * @example
 * ```ts
 * passesCriteria(streamFilterCriteria({ partition: 'jobs' }), record);
 * ```
 */
export function passesCriteria(criteria: { Filters: { Pattern: string }[] }, event: unknown): boolean {
  return criteria.Filters.some((f) => matchesFilter(JSON.parse(f.Pattern), event));
}

function matchesAlternative(alt: unknown, value: unknown): boolean {
  if (alt === null || typeof alt !== 'object') return value !== undefined && value === alt;
  const entries = Object.entries(alt);
  if (entries.length !== 1) throw new Error(`an operator object has one key: ${JSON.stringify(alt)}`);
  const [[op, arg]] = entries as [[string, unknown]];
  switch (op) {
    case 'prefix':
      return typeof value === 'string' && typeof arg === 'string' && value.startsWith(arg);
    case 'suffix':
      return typeof value === 'string' && typeof arg === 'string' && value.endsWith(arg);
    case 'exists':
      return (value !== undefined) === arg;
    case 'anything-but': {
      const list = Array.isArray(arg) ? arg : [arg];
      return value !== undefined && !list.includes(value);
    }
    default:
      throw new Error(`unknown filter operator "${op}"`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
