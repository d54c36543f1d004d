import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkPostPolicy, PostPolicyError } from '../../local/s3-post-policy';

const SECRET = 'S3RVER';
const NOW = new Date('2026-11-22T10:00:00Z');

/** A form as the SDK's createPresignedPost builds it, signed with SECRET. */
function signedForm(
  conditions: unknown[],
  fields: Record<string, string>,
  expiration = '2026-11-22T10:05:00Z',
) {
  const credential = 'S3RVER/20261122/us-east-1/s3/aws4_request';
  const all = {
    ...fields,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': credential,
    'X-Amz-Date': '20261122T100000Z',
  };
  const policy = Buffer.from(
    JSON.stringify({
      expiration,
      conditions: [
        ...conditions,
        ...['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date'].map((name) => ({
          [name]: all[name as keyof typeof all],
        })),
      ],
    }),
  ).toString('base64');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = ['20261122', 'us-east-1', 's3', 'aws4_request'].reduce<string | Buffer>(
    (k, part) => hmac(k, part),
    `AWS4${SECRET}`,
  );
  return { ...all, Policy: policy, 'X-Amz-Signature': hmac(key, policy).toString('hex') };
}

const CONDITIONS = [
  { bucket: 'photos' },
  { key: 'Incoming/a/1.jpg' },
  ['starts-with', '$Content-Type', 'image/'],
  ['content-length-range', 1, 100],
];
const FIELDS = { key: 'Incoming/a/1.jpg', 'Content-Type': 'image/jpeg' };

const refusal = (fn: () => void) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof PostPolicyError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'accepted';
};

describe('checkPostPolicy', () => {
  it('accepts a form that meets every condition', () => {
    const fields = signedForm(CONDITIONS, FIELDS);
    expect(refusal(() => checkPostPolicy({ bucket: 'photos', fields, fileSize: 50 }, SECRET, NOW))).toBe(
      'accepted',
    );
  });

  it('fails when the policy has expired', () => {
    const fields = signedForm(CONDITIONS, FIELDS, '2026-11-22T09:59:59Z');
    expect(refusal(() => checkPostPolicy({ bucket: 'photos', fields, fileSize: 50 }, SECRET, NOW))).toBe(
      'AccessDenied: Invalid according to Policy: Policy expired.',
    );
  });

  it('fails when the form carries a field the policy does not cover', () => {
    const fields = { ...signedForm(CONDITIONS, FIELDS), 'x-amz-meta-owner': 'bob' };
    expect(refusal(() => checkPostPolicy({ bucket: 'photos', fields, fileSize: 50 }, SECRET, NOW))).toBe(
      'AccessDenied: Invalid according to Policy: Extra input fields: x-amz-meta-owner',
    );
  });

  it('lets x-ignore- fields through, as S3 does', () => {
    const fields = { ...signedForm(CONDITIONS, FIELDS), 'x-ignore-note': 'anything' };
    expect(refusal(() => checkPostPolicy({ bucket: 'photos', fields, fileSize: 50 }, SECRET, NOW))).toBe(
      'accepted',
    );
  });

  it('fails when the bucket is not the one the policy names', () => {
    const fields = signedForm(CONDITIONS, FIELDS);
    expect(refusal(() => checkPostPolicy({ bucket: 'other', fields, fileSize: 50 }, SECRET, NOW))).toMatch(
      /^AccessDenied: .*Policy Condition failed: \["eq","\$bucket","photos"\]/,
    );
  });

  it('fails when the file is smaller than the range allows', () => {
    const fields = signedForm(CONDITIONS, FIELDS);
    expect(refusal(() => checkPostPolicy({ bucket: 'photos', fields, fileSize: 0 }, SECRET, NOW))).toMatch(
      /^EntityTooSmall/,
    );
  });

  it('fails when the form has no policy: S3 takes no anonymous POST', () => {
    expect(
      refusal(() => checkPostPolicy({ bucket: 'photos', fields: FIELDS, fileSize: 50 }, SECRET, NOW)),
    ).toMatch(/^AccessDenied: Bucket POST must contain a field named policy/);
  });

  it('fails when the form was signed with other credentials', () => {
    const fields = signedForm(CONDITIONS, FIELDS);
    expect(
      refusal(() => checkPostPolicy({ bucket: 'photos', fields, fileSize: 50 }, 'another-secret', NOW)),
    ).toMatch(/^SignatureDoesNotMatch/);
  });
});
