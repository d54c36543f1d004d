/**
 * EventBridge, as far as the template uses it: the default bus's rules (AWS::Events::Rule) with their
 * EventPattern and Lambda targets, and the events the local cloud emits on it (Step Functions'
 * "Execution Status Change"). Delivery to a target is asynchronous, like EventBridge's, with the
 * target function's async retry policy (see lambda/registry.ts).
 *
 * The pattern matcher knows EventBridge's exact-value matching: every field of the pattern must be in
 * the event; a field given as a list matches when the event's value (or, for a list in the event, one
 * of its elements) equals one of the listed strings, numbers, booleans or null; a field given as an
 * object matches the event's object field by field. Content filters ({"prefix": ...},
 * {"anything-but": ...}, {"exists": ...}, {"numeric": ...}, ...) and `$or` are refused when the cloud
 * starts, with the rule's name, rather than silently never matching.
 */
import { randomUUID } from 'node:crypto';
import { isFunctionArn } from './arn';
import { invokePermissionsFrom } from './lambda/permissions';
import type { ExecutionDescription, StatusListener } from './stepfunctions/server';
import { type CfnTemplate, LOCAL_ACCOUNT, LOCAL_REGION, type LocalNames, resourcesOfType } from './template';

/** An EventBridge event, as targets receive it. */
export interface EventBridgeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

export type EventMatcher = (event: unknown) => boolean;

export interface EventRule {
  /** The rule's logical id, for messages. */
  readonly id: string;
  readonly matches: EventMatcher;
  /** The Lambda functions the rule invokes (each target's Arn). */
  readonly functionArns: readonly string[];
}

type Leaf = string | number | boolean | null;

/**
 * Compiles an EventPattern (the object, or its JSON text) into a matcher; throws naming `where` and the
 * field when the pattern uses anything but exact values and nested objects.
 */
export function compileEventPattern(pattern: unknown, where: string): EventMatcher {
  const parsed = typeof pattern === 'string' ? parseJson(pattern, where) : pattern;
  if (!isObject(parsed) || Object.keys(parsed).length === 0) {
    throw new Error(
      `${where}: the EventPattern must be a non-empty JSON object, got ${JSON.stringify(parsed)}`,
    );
  }
  return compileObject(parsed, where, '');
}

function compileObject(pattern: Record<string, unknown>, where: string, path: string): EventMatcher {
  const fields = Object.entries(pattern).map(([field, value]): [string, EventMatcher] => {
    const at = path ? `${path}.${field}` : field;
    if (field.startsWith('$')) {
      throw unsupported(where, at, `${field} is not supported by the local cloud's pattern matcher`);
    }
    if (isObject(value)) return [field, compileObject(value, where, at)];
    if (!Array.isArray(value) || value.length === 0) {
      throw unsupported(where, at, 'a field must be a non-empty list of values or an object');
    }
    const allowed: Leaf[] = value.map((item) => {
      if (item === null || ['string', 'number', 'boolean'].includes(typeof item)) return item as Leaf;
      throw unsupported(
        where,
        at,
        `content filters such as ${JSON.stringify(item)} are not supported by the local cloud; list exact values`,
      );
    });
    return [field, (actual) => valuesOf(actual).some((v) => allowed.some((a) => a === v))];
  });
  return (event) =>
    isObject(event) && fields.every(([field, match]) => field in event && match(event[field]));
}

/** A list in the event matches when one of its elements does. */
function valuesOf(actual: unknown): unknown[] {
  return Array.isArray(actual) ? actual : [actual];
}

function unsupported(where: string, path: string, why: string): Error {
  return new Error(`${where}: EventPattern field "${path}": ${why}`);
}

/**
 * The template's enabled rules on the default event bus. Each target must be a Lambda function that an
 * AWS::Lambda::Permission lets events.amazonaws.com invoke; anything else is refused at start-up.
 */
export function rulesFrom(template: CfnTemplate, names: LocalNames): EventRule[] {
  const mayInvoke = invokePermissionsFrom(template, names);
  return resourcesOfType(template, 'AWS::Events::Rule').flatMap(([logicalId, resource]) => {
    const props = names.resolve<{
      EventPattern?: unknown;
      ScheduleExpression?: string;
      State?: string;
      EventBusName?: string;
      Targets?: Record<string, unknown>[];
    }>(resource.Properties ?? {});
    const where = `Rule ${logicalId}`;
    if (props.State !== undefined && props.State !== 'ENABLED') return [];
    if (props.EventBusName !== undefined && props.EventBusName !== 'default') {
      throw new Error(`${where}: the local cloud has only the default event bus, not ${props.EventBusName}`);
    }
    if (props.EventPattern === undefined) {
      throw new Error(
        `${where}: the local cloud runs rules with an EventPattern only (schedules are not run)`,
      );
    }
    const matches = compileEventPattern(props.EventPattern, where);
    const functionArns = (props.Targets ?? []).map((target) => {
      const arn = String(target.Arn);
      // A function, or one of its aliases or versions (function:<name>:<qualifier>).
      if (!isFunctionArn(arn)) {
        throw new Error(
          `${where}: target ${target.Id} is ${arn}; the local cloud delivers to Lambda functions only`,
        );
      }
      const shaping = ['Input', 'InputPath', 'InputTransformer'].filter((key) => key in target);
      if (shaping.length > 0) {
        throw new Error(
          `${where}: target ${target.Id} sets ${shaping.join(', ')}; the local cloud delivers the whole event only`,
        );
      }
      if (!mayInvoke('events.amazonaws.com', arn)) {
        throw new Error(
          `${where}: no AWS::Lambda::Permission lets EventBridge invoke ${arn}; EventBridge could not deliver to it`,
        );
      }
      return arn;
    });
    return [{ id: logicalId, matches, functionArns }];
  });
}

/**
 * The "Step Functions Execution Status Change" event EventBridge receives from Step Functions when an
 * execution changes status: dates in epoch milliseconds, input and output as JSON text (null when
 * absent), error and cause null unless the execution failed with them.
 */
export function executionStatusChange(
  execution: ExecutionDescription,
  settings: { readonly region: string; readonly account: string; readonly id: string; readonly now?: Date },
): EventBridgeEvent {
  return {
    version: '0',
    id: settings.id,
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: settings.account,
    time: (settings.now ?? execution.stopDate ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: settings.region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      // The unqualified ARN also for an execution started through an alias, which is added below:
      // a rule on the state machine's ARN matches every execution, whichever alias started it.
      stateMachineArn: execution.stateMachineArn,
      ...(execution.stateMachineAliasArn ? { stateMachineAliasArn: execution.stateMachineAliasArn } : {}),
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime(),
      stopDate: execution.stopDate?.getTime() ?? null,
      input: execution.input,
      output: execution.output ?? null,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}

/** The Lambda functions an event goes to: every target of every rule that matches it. */
export function targetsOf(rules: readonly EventRule[], event: EventBridgeEvent): string[] {
  return rules.filter((rule) => rule.matches(event)).flatMap((rule) => rule.functionArns);
}

/**
 * Step Functions' status changes on the default bus: each closed execution's event goes, as an
 * asynchronous invoke (with the target's own retries and dead letters), to every target of every rule
 * that matches it. A delivery that cannot even be queued is logged.
 */
export function forwardStatusChanges(
  rules: readonly EventRule[],
  targets: { invokeAsync(functionArn: string, event: EventBridgeEvent, source: string): Promise<void> },
  log: (line: string) => void,
): StatusListener {
  return (execution) => {
    const event = executionStatusChange(execution, {
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      id: randomUUID(),
    });
    for (const functionArn of targetsOf(rules, event)) {
      targets
        .invokeAsync(functionArn, event, 'An EventBridge rule')
        .catch((error: unknown) => log(`EventBridge delivery failed: ${(error as Error).message}`));
    }
  };
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${where}: the EventPattern is not JSON (${(error as Error).message})`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
