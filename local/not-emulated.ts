/**
 * What the template deploys that the local cloud does not run: CodeDeploy's traffic shifting (its
 * application, deployment groups and the aliases' update policies with their PreTraffic hooks), the
 * state machine alias's deployment preference, CloudWatch alarms and dashboards, SNS topics and
 * their subscriptions, KMS keys. Locally every alias runs its function at once and nothing alarms.
 *
 * Not run, but checked: every reference in them must resolve (a Ref or Fn::GetAtt to a resource the
 * template lacks throws), every alarm a deployment names must be an alarm of the template (CloudWatch
 * takes an unknown name for an alarm in OK: a typo would never roll anything back), every Lambda
 * alias or version and every state machine an alarm's metric names must exist, and every hook must
 * be a function of the template. So a dangling alarm fails the local cloud's start, as it fails a test.
 */
import { parseQualifiedArn } from './arn';
import { type CfnTemplate, LOCAL_VERSION, type LocalNames, resourcesOfType } from './template';

const LISTED: Record<string, string> = {
  'AWS::CodeDeploy::Application': 'CodeDeploy application',
  'AWS::CodeDeploy::DeploymentGroup': 'CodeDeploy deployment group',
  'AWS::CloudWatch::Alarm': 'CloudWatch alarm',
  'AWS::CloudWatch::Dashboard': 'CloudWatch dashboard',
  'AWS::SNS::Topic': 'SNS topic',
  'AWS::SNS::Subscription': 'SNS subscription',
  'AWS::SNS::TopicPolicy': 'SNS topic policy',
  'AWS::KMS::Key': 'KMS key',
};

interface Dimension {
  Name: string;
  Value: string;
}

interface MetricRef {
  Namespace?: string;
  Dimensions?: Dimension[];
}

/** Checks the resources the local cloud does not run and returns one line per kind, for the start-up log. */
export function notEmulatedFrom(template: CfnTemplate, names: LocalNames): string[] {
  const lines: string[] = [];
  const resolved = new Map<string, Record<string, unknown>>();
  for (const [type, label] of Object.entries(LISTED)) {
    const resources = resourcesOfType(template, type);
    if (resources.length === 0) continue;
    for (const [logicalId, resource] of resources) {
      try {
        resolved.set(logicalId, names.resolve<Record<string, unknown>>(resource.Properties ?? {}));
      } catch (error) {
        throw new Error(`${label} ${logicalId}: ${(error as Error).message}`);
      }
    }
    lines.push(`${resources.length} ${label}${resources.length === 1 ? '' : 's'}`);
  }

  const alarmNames = new Set(
    resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([id]) => names.ref(id)),
  );
  const requireAlarm = (name: string, where: string) => {
    if (!alarmNames.has(name)) {
      throw new Error(
        `${where} names the alarm "${name}", which is not an alarm of this template (CloudWatch would take it for an alarm in OK and never roll back)`,
      );
    }
  };
  for (const [logicalId] of resourcesOfType(template, 'AWS::CodeDeploy::DeploymentGroup')) {
    const props = resolved.get(logicalId) as { AlarmConfiguration?: { Alarms?: { Name: string }[] } };
    for (const alarm of props.AlarmConfiguration?.Alarms ?? []) {
      requireAlarm(alarm.Name, `Deployment group ${logicalId}`);
    }
  }

  const qualifiers = lambdaQualifiers(template, names);
  const stateMachineArns = new Set([
    ...resourcesOfType(template, 'AWS::StepFunctions::StateMachine').map(([id]) => names.stateMachineArn(id)),
    ...resourcesOfType(template, 'AWS::StepFunctions::StateMachineVersion').map(([id]) =>
      names.qualifiedStateMachineArn(id),
    ),
    ...resourcesOfType(template, 'AWS::StepFunctions::StateMachineAlias').map(([id]) =>
      names.qualifiedStateMachineArn(id),
    ),
  ]);
  for (const [logicalId] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
    const props = resolved.get(logicalId) as MetricRef & {
      Metrics?: { MetricStat?: { Metric: MetricRef } }[];
    };
    const metrics = [
      props,
      ...(props.Metrics ?? []).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : [])),
    ];
    for (const metric of metrics) checkMetric(metric, `Alarm ${logicalId}`, qualifiers, stateMachineArns);
  }

  const shifting: string[] = [];
  const functionNames = new Set(
    resourcesOfType(template, 'AWS::Lambda::Function').map(([id]) => names.ref(id)),
  );
  const applications = new Set(
    resourcesOfType(template, 'AWS::CodeDeploy::Application').map(([id]) => names.ref(id)),
  );
  const groups = new Set(
    resourcesOfType(template, 'AWS::CodeDeploy::DeploymentGroup').map(([id]) => names.ref(id)),
  );
  let hooks = 0;
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::Alias')) {
    const update = (resource as { UpdatePolicy?: { CodeDeployLambdaAliasUpdate?: Record<string, unknown> } })
      .UpdatePolicy?.CodeDeployLambdaAliasUpdate;
    if (!update) continue;
    const policy = names.resolve<Record<string, string | undefined>>(update);
    const where = `Alias ${logicalId}'s CodeDeployLambdaAliasUpdate`;
    if (!applications.has(policy.ApplicationName ?? '')) {
      throw new Error(
        `${where} names the application ${policy.ApplicationName}, which is not in the template`,
      );
    }
    if (!groups.has(policy.DeploymentGroupName ?? '')) {
      throw new Error(
        `${where} names the deployment group ${policy.DeploymentGroupName}, which is not in the template`,
      );
    }
    for (const hook of [policy.BeforeAllowTrafficHook, policy.AfterAllowTrafficHook]) {
      if (hook === undefined) continue;
      if (!functionNames.has(hook))
        throw new Error(`${where} names the hook ${hook}, which is not a function of the template`);
      hooks++;
    }
    shifting.push(logicalId);
  }
  if (shifting.length > 0) {
    lines.push(
      `CodeDeploy traffic shifting of ${shifting.length} Lambda alias${shifting.length === 1 ? '' : 'es'} (${hooks} PreTraffic/PostTraffic hook${hooks === 1 ? '' : 's'}): each alias runs its function at once`,
    );
  }

  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::StepFunctions::StateMachineAlias')) {
    const preference = names.resolve<
      { Type?: string; Percentage?: number; Interval?: number; Alarms?: string[] } | undefined
    >(resource.Properties?.DeploymentPreference);
    if (!preference) continue;
    for (const alarm of preference.Alarms ?? []) requireAlarm(alarm, `State machine alias ${logicalId}`);
    const how =
      preference.Type === 'ALL_AT_ONCE'
        ? 'ALL_AT_ONCE'
        : `${preference.Type} ${preference.Percentage}% every ${preference.Interval} min`;
    lines.push(
      `the deployment preference of state machine alias ${logicalId} (${how}): the alias starts the state machine at once`,
    );
  }
  return lines;
}

/** Function name → the qualifiers (alias names, version numbers) the template defines for it. */
function lambdaQualifiers(template: CfnTemplate, names: LocalNames): Map<string, Set<string>> {
  const byFunction = new Map<string, Set<string>>();
  for (const type of ['AWS::Lambda::Alias', 'AWS::Lambda::Version']) {
    for (const [logicalId] of resourcesOfType(template, type)) {
      const { name, qualifier } = parseQualifiedArn(names.qualifiedFunctionArn(logicalId));
      const set = byFunction.get(name) ?? new Set<string>();
      set.add(qualifier!);
      byFunction.set(name, set);
    }
  }
  return byFunction;
}

function checkMetric(
  metric: MetricRef,
  where: string,
  qualifiers: Map<string, Set<string>>,
  stateMachineArns: Set<string>,
): void {
  const dimension = (name: string) => metric.Dimensions?.find((d) => d.Name === name)?.Value;
  if (metric.Namespace === 'AWS/Lambda') {
    const functionName = dimension('FunctionName');
    const resource = dimension('Resource');
    if (functionName !== undefined && resource !== undefined && resource !== functionName) {
      const [name, qualifier] = resource.split(':');
      if (name !== functionName || !qualifiers.get(functionName)?.has(qualifier)) {
        throw new Error(
          `${where} watches ${resource}, which is no alias or version of ${functionName} in this template`,
        );
      }
    }
    const executed = dimension('ExecutedVersion');
    if (executed !== undefined && executed !== LOCAL_VERSION) {
      throw new Error(`${where} watches version ${executed}, which the template does not publish`);
    }
  }
  if (metric.Namespace === 'AWS/States') {
    const arn = dimension('StateMachineArn');
    if (arn !== undefined && !stateMachineArns.has(arn)) {
      throw new Error(
        `${where} watches ${arn}, which is no state machine, version or alias of this template`,
      );
    }
  }
}
