import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, createInProcessApp } from '../../lib/app';
import { type PipelineConfigOverrides, resolveConfig } from '../../lib/config';
import { resolveIntrinsics } from '../../local/cfn-intrinsics';

const cache = new Map<string, Template>();

/** The synthesized stack for a config, cached per config (synthesis takes seconds). */
export function synthTemplate(overrides: PipelineConfigOverrides = {}): Template {
  const cacheKey = JSON.stringify(overrides);
  let template = cache.get(cacheKey);
  if (!template) {
    const app = createInProcessApp();
    const stack = buildApp(app, resolveConfig(overrides));
    template = Template.fromStack(stack);
    cache.set(cacheKey, template);
  }
  return template;
}

export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ResultPath?: string | null;
  ResultSelector?: Record<string, unknown>;
  Retry?: {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    MaxAttempts?: number;
    BackoffRate?: number;
    JitterStrategy?: string;
    MaxDelaySeconds?: number;
  }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Branches?: AslDefinition[];
  ItemProcessor?: AslDefinition & { ProcessorConfig?: { Mode?: string; ExecutionType?: string } };
  ItemReader?: {
    Resource: string;
    Parameters?: Record<string, unknown>;
    ReaderConfig?: Record<string, unknown>;
  };
  ItemSelector?: Record<string, unknown>;
  ResultWriter?: { Resource: string; Parameters?: Record<string, unknown> };
  MaxConcurrency?: number;
  ToleratedFailurePercentage?: number;
  Label?: string;
  Choices?: Record<string, unknown>[];
  Default?: string;
  Error?: string;
  Cause?: string;
  ErrorPath?: string;
  CausePath?: string;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  QueryLanguage?: string;
}

/** The ARN a function's logical id stands for in the definitions these helpers resolve. */
export const functionArn = (logicalId: string) =>
  `arn:aws:lambda:us-east-1:123456789012:function:${logicalId}`;

/** A function alias's ARN: its function's (see functionArn) and the alias name. */
export const aliasArn = (functionLogicalId: string, alias = 'live') =>
  `${functionArn(functionLogicalId)}:${alias}`;

/**
 * The ImageProc definition, with each function ARN made from its logical id (see functionArn), and
 * each Lambda alias's from its function's (see aliasArn).
 */
export function imageProcDefinition(template: Template): AslDefinition {
  return stateMachineDefinition(template, 'ProcessingImageProc');
}

/**
 * The definition of the state machine whose logical id starts with `prefix`, resolved as
 * imageProcDefinition resolves ImageProc's (every Fn::GetAtt becomes functionArn(<its logical id>)).
 */
export function stateMachineDefinition(template: Template, prefix: string): AslDefinition {
  const stateMachine = template.findResources('AWS::StepFunctions::StateMachine')[
    logicalId(template, 'AWS::StepFunctions::StateMachine', prefix)
  ];
  const aliases = template.findResources('AWS::Lambda::Alias');
  const json = resolveIntrinsics(stateMachine.Properties.DefinitionString, {
    ref: (name) =>
      aliases[name]
        ? aliasArn(aliases[name].Properties.FunctionName.Ref, aliases[name].Properties.Name)
        : `ref:${name}`,
    getAtt: (logicalId) => functionArn(logicalId),
  }) as string;
  return JSON.parse(json) as AslDefinition;
}

/** Every state, including those inside Parallel branches, by name. */
export function allStates(definition: AslDefinition): Record<string, AslState> {
  const states: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    states[name] = state;
    for (const branch of state.Branches ?? []) Object.assign(states, allStates(branch));
    if (state.ItemProcessor) Object.assign(states, allStates(state.ItemProcessor));
  }
  return states;
}

/** Logical id of the one resource of a type whose logical id starts with a prefix. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`Expected one ${type} with logical id ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}
