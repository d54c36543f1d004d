import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { isRekognitionThrottling } from '../../lambda/detect-labels/detect-labels';
import { SMOKE_PHOTO } from '../../lambda/pre-traffic-hook/smoke-photo';
import {
  type Invocation,
  planSmokeTest,
  runSmokeTest,
  SMOKE_TESTS,
  type SmokeTestName,
  smokePhotoKey,
} from '../../lambda/pre-traffic-hook/smoke-test';
import { INCOMING_PREFIX, SMOKE_TEST_OWNER, SMOKE_TEST_PREFIX } from '../../lambda/shared/model';
import { lambdaContext, loadHandler, stubHandlerEnvironment } from './helpers';

const BUCKET = 'photo-repo';
const DEPLOYMENT = 'd-ABCDEF123';
const s3 = mockClient(S3Client);

/** What each function's new version answers when it works. */
const HEALTHY: Record<SmokeTestName, Invocation> = {
  'start-execution': { payload: null },
  'extract-metadata': {
    payload: { format: 'jpeg', width: 96, height: 96, orientation: null, sizeBytes: 645 },
  },
  'detect-labels': { payload: { labels: [], reason: 'No labels: Rekognition found nothing' } },
  'generate-thumbnail': {
    functionError: 'Unhandled',
    payload: {
      errorType: 'ObjectNotFound',
      errorMessage: `The photo smoke-${DEPLOYMENT} was deleted while it was being processed; its thumbnail was removed.`,
    },
  },
  'generate-rendition': {
    functionError: 'Unhandled',
    payload: {
      errorType: 'ObjectNotFound',
      errorMessage: `The photo smoke-${DEPLOYMENT} was deleted while it was being processed; its display rendition was removed.`,
    },
  },
  'record-photo': { payload: { written: false } },
  'reconcile-photo': { payload: { marked: false, reason: 'no such photo' } },
};

function deps(answer: Invocation | (() => Promise<Invocation>), seen: unknown[] = []) {
  return {
    bucket: BUCKET,
    runId: DEPLOYMENT,
    s3: new S3Client({}),
    invoke: async (event: unknown) => {
      seen.push(event);
      return typeof answer === 'function' ? answer() : answer;
    },
  };
}

describe('the smoke photo', () => {
  it('is the JPEG it claims to be, large enough for Rekognition to read from S3', async () => {
    const metadata = await sharp(SMOKE_PHOTO.bytes()).metadata();
    expect(metadata).toMatchObject({ format: 'jpeg', width: SMOKE_PHOTO.width, height: SMOKE_PHOTO.height });
    expect(SMOKE_PHOTO.width).toBeGreaterThanOrEqual(80);
  });

  it('lives outside Incoming/, so it never starts the pipeline', () => {
    expect(smokePhotoKey(DEPLOYMENT)).toBe(`${SMOKE_TEST_PREFIX}${DEPLOYMENT}.jpg`);
    expect(smokePhotoKey(DEPLOYMENT).startsWith(INCOMING_PREFIX)).toBe(false);
  });

  it('gets a safe key from any run id', () => {
    expect(smokePhotoKey('../x y')).toBe(`${SMOKE_TEST_PREFIX}---x-y.jpg`);
  });
});

describe('runSmokeTest', () => {
  beforeEach(() => {
    s3.reset();
  });

  it.each(SMOKE_TESTS)('passes %s when the new version answers as a working one does', async (name) => {
    const outcome = await runSmokeTest(name, deps(HEALTHY[name]));
    expect(outcome).toEqual({ passed: true, detail: `${name} smoke test passed` });
  });

  it.each(SMOKE_TESTS)('fails %s when the new version throws an unexpected error', async (name) => {
    const crashed: Invocation = {
      functionError: 'Unhandled',
      payload: { errorType: 'Runtime.ImportModuleError', errorMessage: "Cannot find module 'sharp'" },
    };
    const outcome = await runSmokeTest(name, deps(crashed));
    expect(outcome.passed).toBe(false);
    expect(outcome.detail).toContain('Runtime.ImportModuleError');
  });

  it('puts the smoke photo before the photo functions run and removes it after', async () => {
    const seen: unknown[] = [];
    await runSmokeTest('extract-metadata', deps(HEALTHY['extract-metadata'], seen));
    const put = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put).toMatchObject({ Bucket: BUCKET, Key: smokePhotoKey(DEPLOYMENT), ContentType: 'image/jpeg' });
    expect(Buffer.from(put.Body as Uint8Array).equals(Buffer.from(SMOKE_PHOTO.bytes()))).toBe(true);
    expect(s3.commandCalls(DeleteObjectCommand)[0].args[0].input).toEqual({
      Bucket: BUCKET,
      Key: smokePhotoKey(DEPLOYMENT),
    });
    expect(seen).toEqual([{ bucket: BUCKET, key: smokePhotoKey(DEPLOYMENT) }]);
  });

  it('removes the smoke photo also when the invocation itself fails, and fails the test', async () => {
    const outcome = await runSmokeTest(
      'generate-thumbnail',
      deps(async () => {
        throw Object.assign(new Error('User is not authorized to perform: lambda:InvokeFunction'), {
          name: 'AccessDeniedException',
        });
      }),
    );
    expect(outcome.passed).toBe(false);
    expect(outcome.detail).toContain('could not invoke the new version: AccessDeniedException');
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it('touches no object for the record and start tests', async () => {
    for (const name of ['start-execution', 'record-photo', 'reconcile-photo'] as const) {
      await runSmokeTest(name, deps(HEALTHY[name]));
    }
    expect(s3.calls()).toHaveLength(0);
  });

  it('fails extract-metadata when the metadata is not the smoke photo', async () => {
    const outcome = await runSmokeTest(
      'extract-metadata',
      deps({ payload: { format: 'png', width: 96, height: 96 } }),
    );
    expect(outcome).toMatchObject({ passed: false });
    expect(outcome.detail).toContain('expected format "jpeg", got "png"');
  });

  it('fails generate-thumbnail when it succeeds: the missing record was not noticed', async () => {
    const outcome = await runSmokeTest(
      'generate-thumbnail',
      deps({ payload: { key: `Thumbnails/${SMOKE_TEST_OWNER}/x.jpg`, width: 96, height: 96 } }),
    );
    expect(outcome.passed).toBe(false);
  });

  it('fails generate-rendition when it made no rendition (the smoke photo is said to be a TIFF)', async () => {
    const seen: unknown[] = [];
    const outcome = await runSmokeTest('generate-rendition', deps({ payload: { rendition: null } }, seen));
    expect(outcome.passed).toBe(false);
    expect(seen).toMatchObject([{ metadata: { format: 'tiff' } }]);
  });

  it('fails record-photo when it wrote a record for a photo that has none', async () => {
    const outcome = await runSmokeTest('record-photo', deps({ payload: { written: true } }));
    expect(outcome.passed).toBe(false);
  });
});

describe('planSmokeTest', () => {
  it('sends start-execution the test event S3 sends, which starts nothing', () => {
    expect(planSmokeTest('start-execution', BUCKET, DEPLOYMENT).event).toEqual({ Records: [] });
  });

  it("asks record-photo to fail a photo of the smoke test's own owner", () => {
    expect(planSmokeTest('record-photo', BUCKET, DEPLOYMENT).event).toMatchObject({
      action: 'failed',
      photo: { owner: SMOKE_TEST_OWNER, photoId: `smoke-${DEPLOYMENT}` },
    });
  });

  it('gives reconcile-photo a stopped execution whose input names the smoke photo', () => {
    const event = planSmokeTest('reconcile-photo', BUCKET, DEPLOYMENT).event as {
      detail: { input: string; status: string };
    };
    expect(event.detail.status).toBe('ABORTED');
    expect(JSON.parse(event.detail.input)).toMatchObject({ owner: SMOKE_TEST_OWNER, bucket: BUCKET });
  });
});

describe('isRekognitionThrottling (the RekognitionThrottled metric)', () => {
  it.each(['ThrottlingException', 'ProvisionedThroughputExceededException'])('counts %s', (name) => {
    expect(isRekognitionThrottling(Object.assign(new Error('slow down'), { name }))).toBe(true);
  });

  it('does not count other errors', () => {
    expect(
      isRekognitionThrottling(Object.assign(new Error('bad'), { name: 'InvalidImageFormatException' })),
    ).toBe(false);
  });
});

describe('the PreTraffic hook handler', () => {
  const VERSION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:ExtractMetadata:7';
  const event = { DeploymentId: DEPLOYMENT, LifecycleEventHookExecutionId: 'hook-execution-1' };
  type Hook = (event: unknown, context: typeof lambdaContext) => Promise<unknown>;
  stubHandlerEnvironment({
    SMOKE_TEST: 'extract-metadata',
    TARGET_FUNCTION_ARN: VERSION_ARN,
    PHOTO_BUCKET: BUCKET,
  });
  const lambda = mockClient(LambdaClient);
  const codeDeploy = mockClient(CodeDeployClient);

  beforeEach(() => {
    s3.reset();
    lambda.reset();
    codeDeploy.reset();
  });

  const answer = (payload: unknown, functionError?: string) =>
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: functionError,
      Payload: new TextEncoder().encode(JSON.stringify(payload)) as never,
    });

  it('invokes the new version and reports Succeeded to CodeDeploy when the smoke test passes', async () => {
    // Prepare
    answer(HEALTHY['extract-metadata'].payload);
    const hook = await loadHandler<Hook>('pre-traffic-hook');

    // Act
    await hook(event, lambdaContext);

    // Assess
    expect(lambda.commandCalls(InvokeCommand)[0].args[0].input.FunctionName).toBe(VERSION_ARN);
    expect(codeDeploy.commandCalls(PutLifecycleEventHookExecutionStatusCommand)[0].args[0].input).toEqual({
      deploymentId: DEPLOYMENT,
      lifecycleEventHookExecutionId: 'hook-execution-1',
      status: 'Succeeded',
    });
  });

  it('reports Failed when the new version fails the smoke test', async () => {
    answer({ errorType: 'Runtime.ImportModuleError', errorMessage: 'Cannot find module' }, 'Unhandled');
    const hook = await loadHandler<Hook>('pre-traffic-hook');

    await hook(event, lambdaContext);

    expect(codeDeploy.commandCalls(PutLifecycleEventHookExecutionStatusCommand)[0].args[0].input.status).toBe(
      'Failed',
    );
  });

  it('fails on an event that is not a CodeDeploy lifecycle hook event, reporting nothing', async () => {
    const hook = await loadHandler<Hook>('pre-traffic-hook');

    await expect(hook({ DeploymentId: DEPLOYMENT }, lambdaContext)).rejects.toMatchObject({
      name: 'InvalidInput',
    });
    expect(codeDeploy.calls()).toHaveLength(0);
  });

  it('fails at start-up when SMOKE_TEST names no smoke test', async () => {
    vi.stubEnv('SMOKE_TEST', 'list-photos');

    await expect(loadHandler<Hook>('pre-traffic-hook')).rejects.toThrow(
      'Environment variable SMOKE_TEST names no smoke test: "list-photos"',
    );
  });

  it.each(['SMOKE_TEST', 'TARGET_FUNCTION_ARN', 'PHOTO_BUCKET'])(
    'fails at start-up when %s is missing',
    async (name) => {
      vi.stubEnv(name, undefined);

      await expect(loadHandler<Hook>('pre-traffic-hook')).rejects.toThrow(
        `Environment variable ${name} is not set`,
      );
    },
  );
});
