/**
 * The smoke tests a PreTraffic hook runs against a function's new version before CodeDeploy shifts
 * any traffic to it: one real event per function, with an answer the test can check, touching no
 * user's data. What they catch is what breaks a deploy outright: a bundle that does not load (a
 * missing module, sharp's native binary for the wrong platform), a missing or wrong environment
 * variable, a permission the new code needs and the role lacks.
 *
 * The photo functions work on a tiny JPEG the hook puts under SMOKE_TEST_PREFIX (outside Incoming/,
 * so it starts no pipeline) and removes afterwards; the record functions are asked to finish a photo
 * that has no record, which they must leave alone.
 */
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SMOKE_TEST_OWNER, SMOKE_TEST_PREFIX } from '../shared/model';
import { SMOKE_PHOTO } from './smoke-photo';

export const SMOKE_TESTS = [
  'start-execution',
  'extract-metadata',
  'record-photo',
  'detect-labels',
  'generate-thumbnail',
  'generate-rendition',
  'reconcile-photo',
] as const;
export type SmokeTestName = (typeof SMOKE_TESTS)[number];

/** What Lambda's Invoke returned: the payload, and `functionError` ("Unhandled") when the function threw. */
export interface Invocation {
  readonly payload: unknown;
  readonly functionError?: string;
}

export interface SmokeTestDeps {
  /** Invokes the function's new version (its version ARN) with an event. */
  readonly invoke: (event: unknown) => Promise<Invocation>;
  readonly s3: Pick<S3Client, 'send'>;
  /** PhotoRepo, where the smoke photo goes. */
  readonly bucket: string;
  /** Makes the run's keys and ids unique: the CodeDeploy deployment id. */
  readonly runId: string;
}

export interface SmokeTestOutcome {
  readonly passed: boolean;
  /** What was checked, or what was wrong: shown in the hook's log and the deployment's status. */
  readonly detail: string;
}

interface SmokeTestPlan {
  /** Whether the smoke photo must be in PhotoRepo while the function runs. */
  readonly needsPhoto: boolean;
  readonly event: unknown;
  /** A sentence saying what is wrong with the answer, or undefined when it is right. */
  check(invocation: Invocation): string | undefined;
}

export function isSmokeTestName(value: unknown): value is SmokeTestName {
  return SMOKE_TESTS.includes(value as SmokeTestName);
}

/** The smoke photo's key for one run. */
export function smokePhotoKey(runId: string): string {
  return `${SMOKE_TEST_PREFIX}${safeId(runId)}.jpg`;
}

/** The event for a smoke test, and how its answer is checked. */
export function planSmokeTest(name: SmokeTestName, bucket: string, runId: string): SmokeTestPlan {
  const photoId = `smoke-${safeId(runId)}`;
  const photo = { bucket, key: smokePhotoKey(runId), owner: SMOKE_TEST_OWNER, photoId };
  // Shaped like an execution ARN (the functions read the execution's name from it); no such execution exists.
  const executionArn = `arn:aws:states:::execution:smoke-test:${photoId}`;
  switch (name) {
    case 'start-execution':
      // The test event S3 itself sends when a notification is configured: no records, nothing started.
      return {
        needsPhoto: false,
        event: { Records: [] },
        check: (result) => errorOf(result),
      };
    case 'extract-metadata':
      return {
        needsPhoto: true,
        event: { bucket, key: photo.key },
        check: (result) => {
          const metadata = result.payload as Record<string, unknown> | null;
          return (
            errorOf(result) ??
            expectField(metadata, 'format', SMOKE_PHOTO.format) ??
            expectField(metadata, 'width', SMOKE_PHOTO.width) ??
            expectField(metadata, 'height', SMOKE_PHOTO.height)
          );
        },
      };
    case 'detect-labels':
      return {
        needsPhoto: true,
        event: { ...photo, metadata: smokeMetadata() },
        check: (result) => {
          const labels = (result.payload as { labels?: unknown } | null)?.labels;
          return errorOf(result) ?? (Array.isArray(labels) ? undefined : `no labels list in ${show(result)}`);
        },
      };
    case 'generate-thumbnail':
      // The smoke photo has no record, so the function does everything (decode, resize, write the
      // thumbnail, read the record) and then, finding no record, takes the thumbnail back as for a
      // photo deleted meanwhile: the whole path, and nothing left behind.
      return {
        needsPhoto: true,
        event: photo,
        check: takenBack('thumbnail'),
      };
    case 'generate-rendition':
      // The smoke photo said to be a TIFF, which always gets a rendition: the function decodes it (by
      // its content), writes the rendition, reads the record and, finding none, takes the rendition
      // back as for a photo deleted meanwhile. (libheif's own path needs an HEVC-coded photo; the
      // bundle that carries it is the one loaded here.)
      return {
        needsPhoto: true,
        event: { ...photo, metadata: { ...smokeMetadata(), format: 'tiff' } },
        check: takenBack('display rendition'),
      };
    case 'record-photo':
      // A conditional write to a photo that has no record: nothing is written.
      return {
        needsPhoto: false,
        event: {
          action: 'failed',
          photo,
          executionId: executionArn,
          error: { Error: 'SmokeTest', Cause: 'A deployment smoke test; there is no such photo.' },
        },
        check: (result) => errorOf(result) ?? expectField(result.payload, 'written', false),
      };
    case 'reconcile-photo': {
      // A stopped execution of a photo that has no record: nothing to mark.
      const now = Date.now();
      return {
        needsPhoto: false,
        event: {
          'detail-type': 'Step Functions Execution Status Change',
          source: 'aws.states',
          detail: {
            executionArn,
            status: 'ABORTED',
            input: JSON.stringify(photo),
            startDate: now,
            stopDate: now,
            error: null,
            cause: null,
          },
        },
        check: (result) => errorOf(result) ?? expectField(result.payload, 'marked', false),
      };
    }
  }
}

/** Runs one smoke test: puts the smoke photo if needed, invokes, checks, removes the photo. */
export async function runSmokeTest(name: SmokeTestName, deps: SmokeTestDeps): Promise<SmokeTestOutcome> {
  const plan = planSmokeTest(name, deps.bucket, deps.runId);
  const key = smokePhotoKey(deps.runId);
  if (plan.needsPhoto) {
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: deps.bucket,
        Key: key,
        Body: SMOKE_PHOTO.bytes(),
        ContentType: SMOKE_PHOTO.contentType,
      }),
    );
  }
  try {
    const problem = plan.check(await deps.invoke(plan.event));
    return problem
      ? { passed: false, detail: `${name} smoke test failed: ${problem}` }
      : { passed: true, detail: `${name} smoke test passed` };
  } catch (error) {
    // Invoke itself failed (the version does not exist, the hook may not invoke it): the deployment
    // cannot be shown to work, so it must not go on.
    return { passed: false, detail: `${name} smoke test could not invoke the new version: ${reason(error)}` };
  } finally {
    if (plan.needsPhoto) await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: key }));
  }
}

function smokeMetadata() {
  return {
    format: SMOKE_PHOTO.format,
    width: SMOKE_PHOTO.width,
    height: SMOKE_PHOTO.height,
    orientation: null,
    sizeBytes: SMOKE_PHOTO.bytes().length,
    capturedAt: null,
    make: null,
    model: null,
    gps: null,
  };
}

/**
 * The check of an image made from the smoke photo (`what`: putDerivedImage's word for it): written,
 * then taken back with ObjectNotFound, the photo having no record.
 */
function takenBack(what: string): (result: Invocation) => string | undefined {
  return (result) => {
    const error = result.payload as { errorType?: unknown; errorMessage?: unknown } | null;
    if (
      result.functionError &&
      error?.errorType === 'ObjectNotFound' &&
      String(error.errorMessage).includes(`its ${what} was removed`)
    ) {
      return undefined;
    }
    return `expected ObjectNotFound after the ${what} was written and removed, got ${show(result)}`;
  };
}

function errorOf(result: Invocation): string | undefined {
  return result.functionError ? `the function failed: ${show(result)}` : undefined;
}

function expectField(value: unknown, field: string, expected: unknown): string | undefined {
  const actual =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[field] : undefined;
  return actual === expected
    ? undefined
    : `expected ${field} ${JSON.stringify(expected)}, got ${JSON.stringify(actual)} in ${JSON.stringify(value)}`;
}

function show(result: Invocation): string {
  const text = JSON.stringify(result.payload) ?? 'no payload';
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** Deployment ids are `d-XXXXXXXXX`; anything else is made key- and id-safe. */
function safeId(runId: string): string {
  return runId.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 64) || 'run';
}

function reason(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
