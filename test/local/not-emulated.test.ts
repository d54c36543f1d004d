import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config';
import { LambdaQualifiers } from '../../local/lambda/qualifiers';
import { notEmulatedFrom } from '../../local/not-emulated';
import { type CfnTemplate, LocalNames, resourcesOfType, synthesize } from '../../local/template';

const synthesized = synthesize();
const withEmail = synthesize(resolveConfig({ alarms: { email: 'ops@example.com' } }));

/** A deep copy of the template to break, with its names. */
function copy(app = synthesized): { template: CfnTemplate; names: LocalNames } {
  const template = structuredClone(app.template);
  return { template, names: new LocalNames(app.stackName, template) };
}

const firstOf = (template: CfnTemplate, type: string) => resourcesOfType(template, type)[0];

describe('Lambda aliases and versions in the local cloud', () => {
  const { template, names } = copy();
  const qualifiers = new LambdaQualifiers(template, names);
  const functionArns = new Set(
    resourcesOfType(template, 'AWS::Lambda::Function').map(([id]) => names.getAtt(id, 'Arn')),
  );
  const isFunction = (arn: string) => functionArns.has(arn);

  it('runs the function for every alias and version of the template, and for $LATEST', () => {
    for (const type of ['AWS::Lambda::Alias', 'AWS::Lambda::Version']) {
      for (const [id, resource] of resourcesOfType(template, type)) {
        const functionId = (resource.Properties as { FunctionName: { Ref: string } }).FunctionName.Ref;
        const functionArn = names.getAtt(functionId, 'Arn');
        expect(qualifiers.functionArnOf(names.ref(id), isFunction), id).toBe(functionArn);
        expect(qualifiers.functionArnOf(`${functionArn}:$LATEST`, isFunction)).toBe(functionArn);
      }
    }
  });

  it('runs nothing for an alias the template does not define', () => {
    const [aliasId] = firstOf(template, 'AWS::Lambda::Alias');
    const prod = names.ref(aliasId).replace(/:live$/, ':prod');
    expect(qualifiers.functionArnOf(prod, isFunction)).toBeUndefined();
  });

  it('fails when an alias points at a version of another function', () => {
    const broken = copy();
    const [first, second] = resourcesOfType(broken.template, 'AWS::Lambda::Alias');
    (first[1].Properties as Record<string, unknown>).FunctionVersion = second[1].Properties?.FunctionVersion;
    expect(() => new LambdaQualifiers(broken.template, broken.names)).toThrow(
      /a version of another function/,
    );
  });

  it('fails when a Task state invokes an alias the template does not have', () => {
    const broken = copy();
    const [, machine] = firstOf(broken.template, 'AWS::StepFunctions::StateMachine');
    const [aliasId] = firstOf(broken.template, 'AWS::Lambda::Alias');
    delete broken.template.Resources[aliasId];
    // A Ref to the removed alias in the definition no longer resolves.
    expect(() => broken.names.resolve(machine.Properties?.DefinitionString)).toThrow(/cannot resolve Ref/);
  });
});

describe('what the local cloud does not emulate', () => {
  it('lists CodeDeploy, the alarms, the dashboard and the state machine deployment preference', () => {
    const { template, names } = copy();
    const lines = notEmulatedFrom(template, names).join('\n');
    expect(lines).toMatch(/1 CodeDeploy application/);
    expect(lines).toMatch(/13 CodeDeploy deployment groups/);
    expect(lines).toMatch(/\d+ CloudWatch alarms/);
    expect(lines).toMatch(/1 CloudWatch dashboard/);
    expect(lines).toMatch(/traffic shifting of 13 Lambda aliases \(7 PreTraffic\/PostTraffic hooks\)/);
    expect(lines).toMatch(/state machine alias .*\(CANARY 10% every 5 min\)/);
  });

  it('lists the SNS topic, its subscription and the KMS key when an e-mail is configured', () => {
    const { template, names } = copy(withEmail);
    const lines = notEmulatedFrom(template, names).join('\n');
    expect(lines).toMatch(/1 SNS topic\b/);
    expect(lines).toMatch(/1 SNS subscription/);
    expect(lines).toMatch(/1 KMS key/);
  });

  it('fails when a deployment group names an alarm the template does not have', () => {
    const { template, names } = copy();
    const [, group] = firstOf(template, 'AWS::CodeDeploy::DeploymentGroup');
    (group.Properties as { AlarmConfiguration: { Alarms: unknown[] } }).AlarmConfiguration.Alarms.push({
      Name: 'ImageRecognition-TypoAlarm',
    });
    expect(() => notEmulatedFrom(template, names)).toThrow(
      /Deployment group .* names the alarm "ImageRecognition-TypoAlarm", which is not an alarm of this template/,
    );
  });

  it("fails when the state machine alias's deployment preference names a missing alarm", () => {
    const { template, names } = copy();
    const [, alias] = firstOf(template, 'AWS::StepFunctions::StateMachineAlias');
    (alias.Properties as { DeploymentPreference: { Alarms: unknown[] } }).DeploymentPreference.Alarms.push(
      'NoSuchAlarm',
    );
    expect(() => notEmulatedFrom(template, names)).toThrow(
      /State machine alias .* names the alarm "NoSuchAlarm"/,
    );
  });

  it('fails when an alarm refers to a resource the template does not have', () => {
    const { template, names } = copy();
    const [queueId] = firstOf(template, 'AWS::SQS::Queue');
    delete template.Resources[queueId];
    expect(() => notEmulatedFrom(template, names)).toThrow(/CloudWatch alarm .*cannot resolve Fn::GetAtt/);
  });

  it('fails when an alarm watches an alias the function does not have', () => {
    const { template, names } = copy();
    const [, alarm] = resourcesOfType(template, 'AWS::CloudWatch::Alarm').find(([id]) =>
      id.startsWith('AlarmsExtractMetadataThrottlesAlarm'),
    )!;
    const dimensions = alarm.Properties?.Dimensions as { Name: string; Value: unknown }[];
    const resource = dimensions.find((d) => d.Name === 'Resource')!;
    resource.Value = JSON.parse(JSON.stringify(resource.Value).replace(':live', ':prod'));
    expect(() => notEmulatedFrom(template, names)).toThrow(/watches .*:prod, which is no alias or version/);
  });

  it("fails when an alias's CodeDeploy update names a hook that is not a function", () => {
    const { template, names } = copy();
    const [, alias] = resourcesOfType(template, 'AWS::Lambda::Alias').find(([id]) =>
      id.startsWith('ProcessingExtractMetadataFunctionLiveAlias'),
    )!;
    const update = (
      alias as unknown as { UpdatePolicy: { CodeDeployLambdaAliasUpdate: Record<string, unknown> } }
    ).UpdatePolicy.CodeDeployLambdaAliasUpdate;
    update.BeforeAllowTrafficHook = 'CodeDeployHook_missing';
    expect(() => notEmulatedFrom(template, names)).toThrow(/names the hook CodeDeployHook_missing/);
  });
});
