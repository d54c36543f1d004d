/**
 * PreTraffic hook: CodeDeploy calls it after publishing a function's new version and before moving
 * any of the `live` alias's traffic to it. It runs the function's smoke test against the new version
 * (smoke-test.ts) and reports Succeeded or Failed; Failed stops the deployment and leaves the alias
 * on the previous version.
 *
 * Environment:
 *   TARGET_FUNCTION_ARN  the new version's ARN (function ARN with the version number)
 *   SMOKE_TEST           which smoke test: start-execution, extract-metadata, record-photo,
 *                        detect-labels, generate-thumbnail or reconcile-photo
 *   PHOTO_BUCKET         PhotoRepo, where the smoke photo is put under SmokeTests/
 *
 * Event: CodeDeploy's lifecycle hook event { DeploymentId, LifecycleEventHookExecutionId }.
 */
import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { s3Client } from '../shared/clients';
import { requireEnv } from '../shared/env';
import { ConfigurationError, InvalidInput } from '../shared/errors';
import { logger, tracer, withPowertools } from '../shared/powertools';
import { isObject } from '../shared/validate';
import { isSmokeTestName, runSmokeTest } from './smoke-test';

const smokeTest = requireEnv('SMOKE_TEST');
if (!isSmokeTestName(smokeTest)) {
  throw new ConfigurationError(`Environment variable SMOKE_TEST names no smoke test: "${smokeTest}".`);
}
const targetArn = requireEnv('TARGET_FUNCTION_ARN');
const bucket = requireEnv('PHOTO_BUCKET');
const lambda = tracer.captureAWSv3Client(new LambdaClient({}));
const codeDeploy = tracer.captureAWSv3Client(new CodeDeployClient({}));
const decoder = new TextDecoder();

export const handler = withPowertools(async (event: unknown): Promise<void> => {
  const deploymentId = isObject(event) ? event.DeploymentId : undefined;
  const hookExecutionId = isObject(event) ? event.LifecycleEventHookExecutionId : undefined;
  if (typeof deploymentId !== 'string' || typeof hookExecutionId !== 'string') {
    throw new InvalidInput(
      'Expected a CodeDeploy lifecycle hook event { DeploymentId, LifecycleEventHookExecutionId }.',
    );
  }
  logger.appendKeys({ deploymentId, smokeTest, targetArn });
  const outcome = await runSmokeTest(smokeTest, {
    bucket,
    runId: deploymentId,
    s3: s3Client(),
    invoke: async (payload) => {
      const response = await lambda.send(
        new InvokeCommand({ FunctionName: targetArn, Payload: JSON.stringify(payload) }),
      );
      const text = response.Payload ? decoder.decode(response.Payload) : '';
      return { payload: text ? JSON.parse(text) : null, functionError: response.FunctionError };
    },
  });
  if (outcome.passed) logger.info(outcome.detail);
  else logger.error(outcome.detail);
  // Until this call CodeDeploy waits (up to an hour); a failure to report fails the hook, which
  // CodeDeploy also takes as Failed.
  await codeDeploy.send(
    new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId,
      lifecycleEventHookExecutionId: hookExecutionId,
      status: outcome.passed ? 'Succeeded' : 'Failed',
    }),
  );
});
