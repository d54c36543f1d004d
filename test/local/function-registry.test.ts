import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_ENTRY_METADATA } from '../../lib/pipeline-function';
import { LambdaQualifiers } from '../../local/lambda/qualifiers';
import { FunctionRegistry } from '../../local/lambda/registry';
import { stateMachinesFrom } from '../../local/stepfunctions/template';
import { type CfnTemplate, LocalNames } from '../../local/template';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:Test-Work';
const MISSING_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:Test-Missing';

/** One function with a version and a `live` alias, CDK's notification helper (no entry), and a table. */
function template(taskResource = `${FUNCTION_ARN}:live`): CfnTemplate {
  return {
    Resources: {
      Work: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Handler: 'index.handler',
          MemorySize: 256,
          Environment: { Variables: { TABLE_NAME: { Ref: 'Table' } } },
        },
        Metadata: { [LOCAL_ENTRY_METADATA]: 'lambda/record-photo/handler.ts' },
      },
      WorkVersion: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'Work' } } },
      WorkLive: {
        Type: 'AWS::Lambda::Alias',
        Properties: {
          FunctionName: { Ref: 'Work' },
          FunctionVersion: { 'Fn::GetAtt': ['WorkVersion', 'Version'] },
          Name: 'live',
        },
      },
      NotificationsHandler: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler' } },
      Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: {
          DefinitionString: JSON.stringify({
            StartAt: 'Work',
            States: {
              Work: { Type: 'Task', Resource: taskResource, Next: 'Branches' },
              Branches: {
                Type: 'Parallel',
                Branches: [
                  {
                    StartAt: 'Nested',
                    States: { Nested: { Type: 'Task', Resource: FUNCTION_ARN, End: true } },
                  },
                ],
                End: true,
              },
            },
          }),
        },
      },
    },
  };
}

const stateDirs: string[] = [];
const registries: FunctionRegistry[] = [];
afterAll(async () => {
  await Promise.all(registries.map((registry) => registry.close()));
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

function registryOf(cfn: CfnTemplate) {
  const names = new LocalNames('Test', cfn);
  const stateDir = mkdtempSync(join(tmpdir(), 'function-registry-'));
  stateDirs.push(stateDir);
  const registry = new FunctionRegistry(cfn, names, new LambdaQualifiers(cfn, names), {
    stateDir,
    clientEnvironment: { AWS_REGION: 'us-east-1' },
    concurrency: 1,
    asyncRetryDelayMs: 10,
    log: () => {},
  });
  registries.push(registry);
  return { registry, names, stateDir };
}

describe('the function registry', () => {
  it("creates the template's functions from their source entry, with Lambda's environment and references resolved", () => {
    const { registry } = registryOf(template());
    expect([...registry.functions.keys()]).toEqual(['Work']);
    const { spec } = registry.functions.get('Work')!;
    expect(spec.entry).toMatch(/\/lambda\/record-photo\/handler\.ts$/);
    expect(spec.memoryMb).toBe(256);
    expect(spec.environment).toMatchObject({
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'Test-Work',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      TABLE_NAME: 'Test-Table',
    });
  });

  it('finds the function by its ARN, $LATEST, its version and its alias', () => {
    const { registry } = registryOf(template());
    const work = registry.functions.get('Work');
    for (const arn of [
      FUNCTION_ARN,
      `${FUNCTION_ARN}:$LATEST`,
      `${FUNCTION_ARN}:1`,
      `${FUNCTION_ARN}:live`,
    ]) {
      expect(registry.find(arn), arn).toBe(work);
    }
    expect(registry.qualifierCount).toBe(2);
  });

  it('fails naming the caller for an ARN that is no function, alias or version of the template', () => {
    const { registry } = registryOf(template());
    expect(registry.find(`${FUNCTION_ARN}:prod`)).toBeUndefined();
    expect(() => registry.get(`${FUNCTION_ARN}:prod`, 'An API route targets')).toThrow(
      `An API route targets ${FUNCTION_ARN}:prod, which is not a function, alias or version of this template`,
    );
  });

  it('queues nothing for an async invoke of an unknown function, and says who sent it', async () => {
    const { registry, stateDir } = registryOf(template());
    await expect(registry.invokeAsync(MISSING_ARN, {}, 'S3 notification')).rejects.toThrow(
      `S3 notification targets ${MISSING_ARN}, which is not a function, alias or version of this template`,
    );
    expect(readdirSync(join(stateDir, 'lambda-async-queue'))).toEqual([]);
    expect(registry.pendingDeliveries).toBe(0);
  });

  it("answers Step Functions' Lambda calls to an unknown function with Lambda.ResourceNotFoundException", () => {
    const { registry } = registryOf(template());
    expect(() => registry.invokeOrThrow(MISSING_ARN, {})).toThrow(
      expect.objectContaining({ name: 'Lambda.ResourceNotFoundException' }),
    );
  });
});

describe("the state machines' slice of the template", () => {
  it('binds every Lambda Task, nested ones included, to a handler', () => {
    const cfn = template();
    const { registry, names } = registryOf(cfn);
    const [machine] = stateMachinesFrom(cfn, names, registry);
    expect(machine.name).toBe('Test-Machine');
    expect(Object.keys(machine.taskHandlers ?? {}).sort()).toEqual(['Nested', 'Work']);
  });

  it('fails when a Task invokes a function the template does not have', () => {
    const cfn = template(MISSING_ARN);
    const { registry, names } = registryOf(cfn);
    expect(() => stateMachinesFrom(cfn, names, registry)).toThrow(
      `Task Work of Test-Machine invokes ${MISSING_ARN}, which is not a function, alias or version of this template`,
    );
  });
});
