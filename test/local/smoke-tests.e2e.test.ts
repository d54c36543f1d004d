/**
 * The PreTraffic hooks' smoke tests against the real handlers, in the local cloud: each hook's
 * SMOKE_TEST against the version its TARGET_FUNCTION_ARN names, as CodeDeploy would have it run
 * before shifting traffic. The hooks themselves report to CodeDeploy, which the local cloud does not
 * emulate; what is checked here is that every smoke event is one the new version passes, and that a
 * run leaves nothing behind and starts nothing.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Invocation, isSmokeTestName, runSmokeTest } from '../../lambda/pre-traffic-hook/smoke-test';
import { SMOKE_TEST_OWNER, SMOKE_TEST_PREFIX, THUMBNAIL_PREFIX } from '../../lambda/shared/model';
import { resolveConfig } from '../../lib/config';
import { LambdaQualifiers } from '../../local/lambda/qualifiers';
import { LocalNames, resourcesOfType } from '../../local/template';
import { startTestCloud, type TestCloud } from './e2e-helpers';

const TEST_TIMEOUT = 120_000;
/** startTestCloud runs the default config. */
const STACK_NAME = resolveConfig().stackName;
let env: TestCloud;

beforeAll(async () => {
  env = await startTestCloud();
}, TEST_TIMEOUT);

afterAll(async () => {
  await env?.close();
});

/** Each hook in the template: the smoke test it runs and the version it runs it against. */
function hooks(): { smokeTest: string; targetArn: string }[] {
  const { template } = env.cloud;
  const names = new LocalNames(STACK_NAME, template);
  return resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([, resource]) => {
    const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> })
      ?.Variables;
    if (!variables?.SMOKE_TEST) return [];
    return [
      {
        smokeTest: String(variables.SMOKE_TEST),
        targetArn: names.resolve<string>(variables.TARGET_FUNCTION_ARN),
      },
    ];
  });
}

/** Invokes the local function a version ARN names, answering as Lambda's Invoke does. */
function invokeVersion(versionArn: string) {
  const names = new LocalNames(STACK_NAME, env.cloud.template);
  const qualifiers = new LambdaQualifiers(env.cloud.template, names);
  const byArn = new Map([...env.cloud.functions.values()].map((fn) => [fn.spec.arn, fn]));
  const functionArn = qualifiers.functionArnOf(versionArn, (arn) => byArn.has(arn));
  expect(functionArn, `${versionArn} is a version of a function of the template`).toBeDefined();
  const fn = byArn.get(functionArn!)!;
  return async (event: unknown): Promise<Invocation> => {
    const outcome = await fn.invoke(event);
    return outcome.ok
      ? { payload: outcome.result ?? null }
      : {
          functionError: 'Unhandled',
          payload: { errorType: outcome.errorType, errorMessage: outcome.errorMessage, trace: outcome.trace },
        };
  };
}

describe('PreTraffic smoke tests against the real handlers', () => {
  it('has a hook for each pipeline function and the reconciler', () => {
    expect(
      hooks()
        .map((hook) => hook.smokeTest)
        .sort(),
    ).toEqual([
      'detect-labels',
      'extract-metadata',
      'generate-rendition',
      'generate-thumbnail',
      'reconcile-photo',
      'record-photo',
      'start-execution',
    ]);
  });

  it(
    'passes every one against the version its hook names',
    async () => {
      for (const { smokeTest, targetArn } of hooks()) {
        if (!isSmokeTestName(smokeTest)) throw new Error(`Unknown smoke test ${smokeTest}`);
        const outcome = await runSmokeTest(smokeTest, {
          bucket: env.target.bucket,
          runId: 'd-LOCAL0001',
          s3: env.clients.s3,
          invoke: invokeVersion(targetArn),
        });
        expect(outcome, smokeTest).toEqual({ passed: true, detail: `${smokeTest} smoke test passed` });
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'leaves no object, no record and no execution behind',
    async () => {
      await env.cloud.waitForIdle();
      for (const prefix of [SMOKE_TEST_PREFIX, `${THUMBNAIL_PREFIX}${SMOKE_TEST_OWNER}/`]) {
        const listed = await env.clients.s3.send(
          new ListObjectsV2Command({ Bucket: env.target.bucket, Prefix: prefix }),
        );
        expect(listed.KeyCount ?? 0, prefix).toBe(0);
      }
      const records = await env.clients.dynamo.send(
        new QueryCommand({
          TableName: env.target.table,
          KeyConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': SMOKE_TEST_OWNER },
        }),
      );
      expect(records.Items ?? []).toEqual([]);
      const executions = await env.clients.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: env.cloud.outputs.ImageProcStateMachineArn }),
      );
      expect(executions.executions ?? []).toEqual([]);
    },
    TEST_TIMEOUT,
  );
});
