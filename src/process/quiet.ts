/**
 * The AWS SDK for JavaScript v3 (`@aws-sdk/core`, `emitWarningIfUnsupportedVersion`) calls
 * `process.emitWarning('NodeVersionSupportWarning: The AWS SDK for JavaScript (v3) ... will require
 * node >=22 ...')` once per process, when the first client is constructed on Node < 22. It skips it
 * when `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED` is `'true'`.
 */
const ENV_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
const INSTALLED = Symbol.for('dynastore.silenceNodeVersionWarning');

/**
 * True for exactly the AWS SDK's "future versions will require Node 22" warning.
 *
 * @example
 * ```ts
 * isNodeVersionSupportWarning('NodeVersionSupportWarning: The AWS SDK for JavaScript (v3) ...'); // true
 * ```
 */
export function isNodeVersionSupportWarning(warning: unknown): boolean {
  const text = typeof warning === 'string' ? warning : warning instanceof Error ? warning.message : '';
  return text.startsWith('NodeVersionSupportWarning:') && text.includes('AWS SDK for JavaScript');
}

/**
 * Silences the AWS SDK v3 warning that its future versions need Node 22, and nothing else. It sets
 * the SDK's own switch (`AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true`, unless already
 * set) and, for SDK copies that ignore it, drops that one warning in `process.emitWarning`; every
 * other warning passes through. Idempotent, also across copies of this module (ESM and CJS).
 *
 * @example
 * ```ts
 * silenceNodeVersionWarning();
 * const client = new DynamoDBClient({}); // no NodeVersionSupportWarning on Node 20
 * ```
 */
export function silenceNodeVersionWarning(): void {
  const holder = process as unknown as Record<symbol, boolean | undefined>;
  if (holder[INSTALLED]) return;
  holder[INSTALLED] = true;
  if (process.env[ENV_SWITCH] === undefined) process.env[ENV_SWITCH] = 'true';
  const original = process.emitWarning;
  const filtered = function emitWarning(this: unknown, warning: string | Error, ...rest: unknown[]): void {
    if (isNodeVersionSupportWarning(warning)) return;
    Reflect.apply(original, this ?? process, [warning, ...rest]);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
}
