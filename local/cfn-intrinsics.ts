/**
 * Resolves the CloudFormation intrinsic functions a synthesized CDK template uses (Ref, Fn::GetAtt,
 * Fn::Join, Fn::Sub, Fn::Select, Fn::Split) against values the caller supplies, so the local cloud
 * and the tests can read the template's real values (state machine definition, environment
 * variables, ARNs) instead of re-deriving them.
 */

export interface IntrinsicValues {
  /** Value of `{ "Ref": name }`: a logical id or a pseudo parameter such as AWS::Region. */
  ref(name: string): string;
  /** Value of `{ "Fn::GetAtt": [logicalId, attribute] }`. */
  getAtt(logicalId: string, attribute: string): string;
}

export function resolveIntrinsics(value: unknown, values: IntrinsicValues): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, values));
  if (typeof value !== 'object' || value === null) return value;

  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [fn, arg] = entries[0];
    switch (fn) {
      case 'Ref':
        return values.ref(arg as string);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] =
          typeof arg === 'string' ? arg.split(/\.(.*)/s) : (arg as [string, string]);
        return values.getAtt(logicalId, attribute);
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        return (resolveIntrinsics(parts, values) as unknown[]).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = resolveIntrinsics(arg, values) as [string | number, unknown[]];
        return list[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, source] = resolveIntrinsics(arg, values) as [string, string];
        return source.split(separator);
      }
      case 'Fn::Sub':
        return resolveSub(arg as string | [string, Record<string, unknown>], values);
      default:
        if (fn.startsWith('Fn::') || fn === 'Condition') {
          throw new Error(
            `Unsupported CloudFormation intrinsic ${fn}: teach local/cfn-intrinsics.ts to resolve it`,
          );
        }
    }
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveIntrinsics(item, values)]));
}

function resolveSub(arg: string | [string, Record<string, unknown>], values: IntrinsicValues): string {
  const [template, variables] = typeof arg === 'string' ? [arg, {}] : arg;
  const resolved = resolveIntrinsics(variables, values) as Record<string, unknown>;
  return template.replace(/\$\{([^}!]+)\}/g, (_match, name: string) => {
    if (name in resolved) return String(resolved[name]);
    const [logicalId, attribute] = name.split(/\.(.*)/s);
    return attribute ? values.getAtt(logicalId, attribute) : values.ref(name);
  });
}
