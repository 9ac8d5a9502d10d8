import { ValidationError } from '../contract/errors/store.js';
import { type AttributeNames, resolveAttributeNames } from '../contract/names.js';
import { checkName, checkText, Limits, resolveOptions } from '../contract/validate.js';
import type { StreamChangesOptions } from './types.js';

/** {@link StreamChangesOptions}, checked and with defaults. */
export interface ResolvedStreamOptions {
  readonly names: AttributeNames;
  readonly partition: string | undefined;
  readonly prefix: string | undefined;
  readonly includeCoordinationRows: boolean;
}

/**
 * Checks the options of the stream trigger functions: unknown names, a partition that is not a
 * partition name, a prefix that is not a string, attribute names.
 *
 * @example
 * ```ts
 * resolveStreamOptions('changesFromStreamEvent', { partition: 'jobs' }).partition; // 'jobs'
 * ```
 */
export function resolveStreamOptions(
  context: string,
  options: StreamChangesOptions | undefined,
): ResolvedStreamOptions {
  const o = resolveOptions(context, options, {
    attributeNames: undefined as Partial<AttributeNames> | undefined,
    partition: undefined as string | undefined,
    prefix: undefined as string | undefined,
    includeCoordinationRows: false as boolean,
  });
  if (o.partition !== undefined) checkName(`${context}.partition`, o.partition, Limits.partitionBytes);
  if (o.prefix !== undefined) checkText(`${context}.prefix`, o.prefix);
  if (typeof o.includeCoordinationRows !== 'boolean')
    throw new ValidationError(`${context}.includeCoordinationRows`, 'must be a boolean');
  return {
    names: resolveAttributeNames(o.attributeNames),
    partition: o.partition,
    prefix: o.prefix,
    includeCoordinationRows: o.includeCoordinationRows,
  };
}
