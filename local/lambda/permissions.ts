/**
 * Lambda's resource policy, as far as the local cloud checks it: an AWS service (S3, EventBridge) may
 * invoke a function only when an AWS::Lambda::Permission of the template lets its principal do so,
 * so a notification or a rule that AWS would refuse to deliver fails the local start too.
 */
import { type CfnTemplate, type LocalNames, resourcesOfType } from '../template';

/** Whether the template lets `principal` (e.g. 's3.amazonaws.com') invoke the function `functionArn` names. */
export type InvokePermission = (principal: string, functionArn: string) => boolean;

export function invokePermissionsFrom(template: CfnTemplate, names: LocalNames): InvokePermission {
  const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').map(([, r]) =>
    names.resolve<Record<string, string>>(r.Properties),
  );
  return (principal, functionArn) =>
    permissions.some(
      (p) =>
        p.Principal === principal &&
        p.Action === 'lambda:InvokeFunction' &&
        // FunctionName may be the ARN, or a name (optionally with its qualifier) the ARN ends with.
        (p.FunctionName === functionArn || functionArn.endsWith(`:${p.FunctionName}`)),
    );
}
