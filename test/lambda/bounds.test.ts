import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { failureReason, recordPhoto } from '../../lambda/record-photo/record-photo';
import {
  boundedResult,
  boundedText,
  MAX_STEP_RESULT_BYTES,
  MAX_TEXT_LENGTH,
} from '../../lambda/shared/bounds';
import { PayloadTooLarge } from '../../lambda/shared/errors';
import type { ImageMetadata, Label } from '../../lambda/shared/model';
import { STATES } from '../../lambda/shared/workflow';
import { silentLog } from './helpers';

describe('boundedText', () => {
  it.each([
    ['Canon', 'Canon'],
    ['  NIKON CORPORATION\0\0\0\0', 'NIKON CORPORATION'],
    ['Can\0on', 'Canon'],
    ['EOS\n40D\t', 'EOS 40D'],
    ['\u001b[31mred\u001b[0m', '[31mred [0m'],
    ['\u0085next\u009b', 'next'],
    ['\0\0\0', null],
    ['   ', null],
    ['', null],
    ['lone \ud800 surrogate', 'lone  surrogate'],
    ['Pentax 😀', 'Pentax 😀'],
  ])('cleans %j to %j', (value, expected) => {
    expect(boundedText(value)).toBe(expected);
  });

  it.each<[unknown, string]>([
    [new Uint8Array([67, 97, 110]), 'a blob'],
    [42, 'a number'],
    [undefined, 'nothing'],
    [['Canon'], 'an array'],
  ])('drops %j (%s)', (value) => {
    expect(boundedText(value)).toBeNull();
  });

  it('cuts a 1,000,000-character string to the limit, marked with an ellipsis', () => {
    const text = boundedText('M'.repeat(1_000_000));

    expect(text).toHaveLength(MAX_TEXT_LENGTH);
    expect(text?.endsWith('M…')).toBe(true);
  });

  it('cuts a long text of emoji on a code point boundary', () => {
    const text = boundedText('😀'.repeat(500), 11) as string;

    expect(text).toBe(`${'😀'.repeat(5)}…`);
    expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
  });

  it('marks a cut made by skipping a huge string even when what is kept is short', () => {
    expect(boundedText(`${'\0'.repeat(2000)}Canon`)).toBeNull();
    expect(boundedText(`Canon${'\0'.repeat(2000)}Nikon`)).toBe('Canon…');
  });
});

describe('boundedResult', () => {
  it('returns a result whose JSON fits the budget', () => {
    const result = { labels: [{ name: 'Cat', confidence: 90 }], reason: null };

    expect(boundedResult(result, STATES.detectLabels)).toBe(result);
  });

  it('fails when the JSON is over the budget, with PayloadTooLarge and a readable reason', () => {
    const result = { make: 'X'.repeat(MAX_STEP_RESULT_BYTES) };

    const attempt = () => boundedResult(result, STATES.extractImageMetadata);

    expect(attempt).toThrow(PayloadTooLarge);
    expect(attempt).toThrow(
      /^ExtractImageMetadata produced 64 KiB of data about this photo, more than the 64 KiB a step may pass on \(Step Functions carries at most 256 KiB between steps\), so the photo cannot be processed\.$/,
    );
  });

  it('counts UTF-8 bytes, not characters', () => {
    const result = { make: 'é'.repeat(MAX_STEP_RESULT_BYTES / 2) };

    expect(() => boundedResult(result, 'Step')).toThrow(PayloadTooLarge);
  });

  it('becomes the FAILED reason as Step Functions reports it on AWS (Lambda JSON) and locally (plain text)', () => {
    let error: Error | undefined;
    try {
      boundedResult({ make: 'X'.repeat(100_000) }, STATES.extractImageMetadata);
    } catch (e) {
      error = e as Error;
    }
    const cause = JSON.stringify({ errorType: error?.name, errorMessage: error?.message, trace: [] });

    expect(failureReason({ Error: 'PayloadTooLarge', Cause: cause })).toMatch(
      /^ExtractImageMetadata produced 97\.7 KiB of data about this photo, more than the 64 KiB/,
    );
    expect(failureReason({ Error: 'PayloadTooLarge', Cause: error?.message })).toBe(error?.message);
  });
});

describe('record sizes', () => {
  it('keeps the largest READY record the pipeline can write far below DynamoDB’s 400 KB item limit', async () => {
    // Prepare: every text at its bound, 1000 labels (MAX_LABELS' upper limit) of long names, a long reason.
    const dynamo = mockClient(DynamoDBDocumentClient);
    dynamo.on(UpdateCommand).resolves({});
    const deps = {
      dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
      tableName: 'ImageMetadata',
      log: silentLog(),
      pipelineVersion: 'r1-0123456789ab',
    };
    const longText = boundedText('X'.repeat(1_000_000)) as string;
    const metadata: ImageMetadata = {
      format: 'jpeg',
      width: 10_000,
      height: 10_000,
      orientation: 8,
      sizeBytes: 50_000_000,
      capturedAt: '2008-05-30T15:56:01+02:00',
      make: longText,
      model: longText,
      gps: { latitude: -89.999999, longitude: -179.999999, altitude: -12_345.678 },
    };
    const labels: Label[] = Array.from({ length: 1000 }, (_, i) => ({
      name: `Label name of a plausible length ${i}`,
      confidence: 99.99999,
    }));
    const photo = {
      bucket: 'b'.repeat(63),
      key: `Incoming/${'o'.repeat(128)}/${'p'.repeat(700)}.jpeg`,
      owner: 'o'.repeat(128),
      photoId: 'p'.repeat(700),
    };
    const executionId = 'arn:aws:states:eu-west-1:123456789012:execution:ImageProc:p1-0123456789abcdef';

    // Act
    await recordPhoto({ action: 'metadata', photo, executionId, metadata }, deps);
    await recordPhoto(
      {
        action: 'ready',
        photo,
        executionId,
        results: {
          labels: { labels, reason: 'R'.repeat(1000) },
          thumbnail: {
            key: `Thumbnails/${photo.owner}/${photo.photoId}.jpg`,
            width: 250,
            height: 250,
            format: 'jpeg',
            sizeBytes: 1,
          },
        },
      },
      deps,
    );

    // Assess: the sum of both writes bounds the item (attribute names included).
    const bytes = dynamo
      .commandCalls(UpdateCommand)
      .reduce((sum, call) => sum + Buffer.byteLength(JSON.stringify(call.args[0].input), 'utf8'), 0);
    console.log(`largest record: ${(bytes / 1024).toFixed(1)} KiB of writes`);
    expect(bytes).toBeLessThan(200 * 1024);
    expect(Buffer.byteLength(JSON.stringify(metadata))).toBeLessThan(2048);
    dynamo.restore();
  });
});
