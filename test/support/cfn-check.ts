import { createRequire } from 'node:module';

/**
 * A schema check of a CloudFormation template against the CloudFormation resource specification
 * (`@aws-cdk/cfnspec`, from npm): every resource type exists; every property is one the type
 * has, of its type (primitive, list, map, nested property type, recursively); required ones are
 * present; `Ref`, `Fn::GetAtt` and `Fn::Sub` name parameters, resources and attributes that
 * exist; `DependsOn` names resources. Intrinsic functions outside the list below are refused
 * (never taken as valid). Returns the problems found, one line each (none: valid).
 *
 * @example
 * ```ts
 * expect(checkTemplate(parse(readFileSync('template.yaml', 'utf8')))).toEqual([]);
 * ```
 */
export function checkTemplate(template: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(template)) return ['the template is not an object'];
  for (const section of Object.keys(template)) {
    if (!SECTIONS.has(section)) problems.push(`unknown top-level section ${section}`);
  }
  const parameters = isObject(template.Parameters) ? template.Parameters : {};
  const resources = isObject(template.Resources) ? template.Resources : {};
  if (Object.keys(resources).length === 0) problems.push('no Resources');
  const ctx: Ctx = { parameters, resources, problems };
  for (const [name, p] of Object.entries(parameters)) {
    if (!isObject(p) || typeof p.Type !== 'string') problems.push(`Parameters.${name}: no Type`);
  }
  for (const [name, r] of Object.entries(resources)) {
    const at = `Resources.${name}`;
    if (!isObject(r) || typeof r.Type !== 'string') {
      problems.push(`${at}: no Type`);
      continue;
    }
    for (const k of Object.keys(r)) if (!RESOURCE_KEYS.has(k)) problems.push(`${at}: unknown key ${k}`);
    const spec = SPEC.ResourceTypes[r.Type];
    if (!spec) {
      problems.push(`${at}: unknown resource type ${r.Type}`);
      continue;
    }
    const depends = r.DependsOn === undefined ? [] : [r.DependsOn].flat();
    for (const d of depends)
      if (typeof d !== 'string' || !(d in resources)) problems.push(`${at}.DependsOn: no resource ${d}`);
    checkProperties(ctx, `${at}.Properties`, r.Type, spec.Properties ?? {}, r.Properties ?? {});
  }
  if (isObject(template.Outputs)) {
    for (const [name, o] of Object.entries(template.Outputs)) {
      if (!isObject(o) || o.Value === undefined) problems.push(`Outputs.${name}: no Value`);
      else checkValue(ctx, `Outputs.${name}.Value`, '', { PrimitiveType: 'String' }, o.Value);
    }
  }
  return problems;
}

interface PropSpec {
  readonly PrimitiveType?: string;
  readonly Type?: string;
  readonly ItemType?: string;
  readonly PrimitiveItemType?: string;
  readonly Required?: boolean;
}
interface Spec {
  readonly ResourceTypes: Record<
    string,
    { Properties?: Record<string, PropSpec>; Attributes?: Record<string, unknown> }
  >;
  readonly PropertyTypes: Record<string, { Properties?: Record<string, PropSpec>; PrimitiveType?: string }>;
}
interface Ctx {
  readonly parameters: Record<string, unknown>;
  readonly resources: Record<string, unknown>;
  readonly problems: string[];
}

const SPEC = createRequire(import.meta.url)('@aws-cdk/cfnspec/spec/specification.json') as Spec;
const SECTIONS = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Mappings',
  'Conditions',
  'Resources',
  'Outputs',
]);
const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'Metadata',
  'DeletionPolicy',
  'UpdateReplacePolicy',
]);
const PSEUDO = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

function checkProperties(
  ctx: Ctx,
  at: string,
  resourceType: string,
  specs: Record<string, PropSpec>,
  props: unknown,
): undefined {
  if (!isObject(props)) {
    ctx.problems.push(`${at}: not an object`);
    return;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.Required && props[name] === undefined) ctx.problems.push(`${at}.${name}: required`);
  }
  for (const [name, value] of Object.entries(props)) {
    const spec = specs[name];
    if (!spec) ctx.problems.push(`${at}.${name}: not a property of ${resourceType}`);
    else checkValue(ctx, `${at}.${name}`, resourceType, spec, value);
  }
}

function checkValue(ctx: Ctx, at: string, resourceType: string, spec: PropSpec, value: unknown): undefined {
  if (isIntrinsic(value)) return checkIntrinsic(ctx, at, value);
  if (spec.PrimitiveType) return checkPrimitive(ctx, at, spec.PrimitiveType, value);
  if (spec.Type === 'List' || spec.Type === 'Map') {
    const item: PropSpec = spec.PrimitiveItemType
      ? { PrimitiveType: spec.PrimitiveItemType }
      : { Type: spec.ItemType };
    if (spec.Type === 'List') {
      if (!Array.isArray(value)) return void ctx.problems.push(`${at}: must be a list`);
      for (const [i, v] of value.entries()) checkValue(ctx, `${at}[${i}]`, resourceType, item, v);
    } else {
      if (!isObject(value)) return void ctx.problems.push(`${at}: must be a map`);
      for (const [k, v] of Object.entries(value)) checkValue(ctx, `${at}.${k}`, resourceType, item, v);
    }
    return;
  }
  const typeName = spec.Type === 'Tag' ? 'Tag' : `${resourceType}.${spec.Type}`;
  const type = SPEC.PropertyTypes[typeName] ?? SPEC.PropertyTypes[spec.Type ?? ''];
  if (!type) return void ctx.problems.push(`${at}: the specification has no type ${typeName}`);
  if (type.PrimitiveType) return checkPrimitive(ctx, at, type.PrimitiveType, value);
  checkProperties(ctx, at, resourceType, type.Properties ?? {}, value);
}

function checkPrimitive(ctx: Ctx, at: string, type: string, value: unknown): undefined {
  const ok =
    type === 'String'
      ? typeof value === 'string'
      : type === 'Integer' || type === 'Long'
        ? Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value))
        : type === 'Double'
          ? typeof value === 'number' || (typeof value === 'string' && Number.isFinite(Number(value)))
          : type === 'Boolean'
            ? typeof value === 'boolean' || value === 'true' || value === 'false'
            : type === 'Json'
              ? isObject(value)
              : type === 'Timestamp'
                ? typeof value === 'string'
                : false;
  if (!ok) ctx.problems.push(`${at}: ${JSON.stringify(value)} is not a ${type}`);
  if (type === 'Json' && isObject(value)) walkIntrinsics(ctx, at, value);
}

/** Intrinsics can sit anywhere inside a Json value (a policy document's Resource, ...). */
function walkIntrinsics(ctx: Ctx, at: string, value: unknown): undefined {
  if (isIntrinsic(value)) return checkIntrinsic(ctx, at, value);
  if (Array.isArray(value)) for (const [i, v] of value.entries()) walkIntrinsics(ctx, `${at}[${i}]`, v);
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) walkIntrinsics(ctx, `${at}.${k}`, v);
}

const INTRINSICS = new Set(['Ref', 'Fn::GetAtt', 'Fn::Sub', 'Fn::Join', 'Fn::Select', 'Fn::Split', 'Fn::If']);

function isIntrinsic(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || (keys[0]?.startsWith('Fn::') ?? false));
}

function checkIntrinsic(ctx: Ctx, at: string, value: Record<string, unknown>): undefined {
  const [[fn, arg]] = Object.entries(value) as [[string, unknown]];
  if (!INTRINSICS.has(fn)) return void ctx.problems.push(`${at}: intrinsic ${fn} is not checked here`);
  if (fn === 'Ref') {
    if (typeof arg !== 'string' || !(arg in ctx.parameters || arg in ctx.resources || PSEUDO.has(arg)))
      ctx.problems.push(`${at}: Ref to unknown ${JSON.stringify(arg)}`);
  } else if (fn === 'Fn::GetAtt') {
    const [res, attr] = Array.isArray(arg) ? arg : typeof arg === 'string' ? arg.split('.') : [];
    checkGetAtt(ctx, at, res, attr);
  } else if (fn === 'Fn::Sub') {
    const text = Array.isArray(arg) ? arg[0] : arg;
    if (typeof text !== 'string') return void ctx.problems.push(`${at}: Fn::Sub needs a string`);
    const vars = Array.isArray(arg) && isObject(arg[1]) ? arg[1] : {};
    for (const [, name] of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
      if (name === undefined || name in vars) continue;
      if (name.includes('.') && !PSEUDO.has(name)) {
        const [res, attr] = name.split('.');
        checkGetAtt(ctx, at, res, attr);
      } else if (!(name in ctx.parameters || name in ctx.resources || PSEUDO.has(name)))
        ctx.problems.push(`${at}: Fn::Sub names unknown \${${name}}`);
    }
  } else walkIntrinsics(ctx, at, arg);
}

function checkGetAtt(ctx: Ctx, at: string, res: unknown, attr: unknown): undefined {
  const r = typeof res === 'string' ? ctx.resources[res] : undefined;
  if (!isObject(r) || typeof r.Type !== 'string')
    return void ctx.problems.push(`${at}: GetAtt of unknown resource ${String(res)}`);
  const attrs = SPEC.ResourceTypes[r.Type]?.Attributes ?? {};
  if (typeof attr !== 'string' || !(attr in attrs))
    ctx.problems.push(`${at}: ${r.Type} has no attribute ${String(attr)}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
