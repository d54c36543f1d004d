/**
 * The ARNs the local cloud takes apart: a Lambda function's or a state machine's, each of the form
 * `arn:<partition>:<service>:<region>:<account>:<type>:<name>[:<qualifier>]`, where the qualifier is
 * a function's alias or version, or a state machine's alias or version number.
 */

export interface QualifiedArn {
  /** The ARN without its qualifier: the function's or the state machine's own. */
  readonly unqualified: string;
  readonly name: string;
  /** The alias or version; undefined for an unqualified ARN. */
  readonly qualifier?: string;
}

export function parseQualifiedArn(arn: string): QualifiedArn {
  const parts = arn.split(':');
  return { unqualified: parts.slice(0, 7).join(':'), name: parts[6] ?? '', qualifier: parts[7] };
}

/** A Lambda function's ARN, or one of its aliases' or versions'. */
export function isFunctionArn(arn: string): boolean {
  return /^arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[^:]+(:[^:]+)?$/.test(arn);
}
