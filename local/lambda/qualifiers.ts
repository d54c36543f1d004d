/**
 * Lambda versions and aliases, as far as the local cloud needs them: which local function a
 * qualified ARN invokes. On AWS every caller of this app invokes a function's `live` alias, which
 * CodeDeploy moves from version to version; locally there is one version of each function (the
 * handler source), so the function's ARN, `<arn>:$LATEST`, and the ARN of every AWS::Lambda::Alias and
 * AWS::Lambda::Version the template defines for it all run that function. A qualifier the template
 * does not define (an alias someone forgot to create, a version of another function) runs nothing:
 * callers report it as not a function of this template, and the local cloud refuses to start.
 */
import { parseQualifiedArn } from '../arn';
import { type CfnTemplate, LOCAL_VERSION, type LocalNames, resourcesOfType } from '../template';

export class LambdaQualifiers {
  /** Qualified ARN (alias or version) → the function's unqualified ARN. */
  private readonly qualified = new Map<string, string>();

  constructor(template: CfnTemplate, names: LocalNames) {
    for (const [logicalId] of resourcesOfType(template, 'AWS::Lambda::Version')) {
      const arn = names.qualifiedFunctionArn(logicalId);
      this.qualified.set(arn, unqualified(arn));
    }
    for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::Alias')) {
      const arn = names.qualifiedFunctionArn(logicalId);
      const functionArn = unqualified(arn);
      const version = (resource.Properties as { FunctionVersion?: unknown }).FunctionVersion;
      // An alias points at a version of its own function (or $LATEST), or Lambda refuses to create it.
      const versionOf = (version as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
      if (versionOf !== undefined && unqualified(names.qualifiedFunctionArn(versionOf)) !== functionArn) {
        throw new Error(`Alias ${logicalId} (${arn}) points at ${versionOf}, a version of another function`);
      }
      const number = names.resolve<string>(version);
      if (number !== LOCAL_VERSION && number !== '$LATEST') {
        throw new Error(
          `Alias ${logicalId} (${arn}) points at version ${number}, which the template does not define`,
        );
      }
      this.qualified.set(arn, functionArn);
    }
  }

  /**
   * The unqualified ARN of the function `arn` invokes, or undefined when it is no function, alias or
   * version of the template. `isFunction` says whether an unqualified ARN is one of the template's functions.
   */
  functionArnOf(arn: string, isFunction: (functionArn: string) => boolean): string | undefined {
    if (isFunction(arn)) return arn;
    if (arn.endsWith(':$LATEST') && isFunction(unqualified(arn))) return unqualified(arn);
    const functionArn = this.qualified.get(arn);
    return functionArn !== undefined && isFunction(functionArn) ? functionArn : undefined;
  }

  /** The qualifier an invocation of `arn` runs under: the alias or version, else $LATEST. */
  static qualifierOf(arn: string): string {
    return parseQualifiedArn(arn).qualifier ?? '$LATEST';
  }

  /** How many aliases and versions the template defines, for the start-up log. */
  get size(): number {
    return this.qualified.size;
  }
}

/** `arn:aws:lambda:<region>:<account>:function:<name>`, without a qualifier. */
function unqualified(arn: string): string {
  return parseQualifiedArn(arn).unqualified;
}
