/**
 * S3's checks on a browser-based POST upload, which s3rver skips: the SigV4 signature of the policy,
 * its expiry, every condition, no form field the policy does not cover, and the size range. Errors
 * carry S3's codes and messages, so the web app shows locally what it would show on AWS.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { S3RequestError } from './s3-auth';

export interface PostUpload {
  /** The bucket in the request path. */
  bucket: string;
  /** Every form field except `file`, names as sent. */
  fields: Record<string, string>;
  fileSize: number;
}

/** An upload S3 refuses: its code, status and message, as for any refused request. */
export class PostPolicyError extends S3RequestError {}

type Condition = Record<string, string> | [string, string, string] | ['content-length-range', number, number];

/** Fields S3 does not require the policy to cover. */
const EXEMPT_FIELDS = new Set(['policy', 'x-amz-signature', 'file']);

/** Throws a PostPolicyError when S3 would refuse this upload. */
export function checkPostPolicy(upload: PostUpload, secretAccessKey: string, now = new Date()): void {
  const fields = new Map(Object.entries(upload.fields).map(([name, value]) => [name.toLowerCase(), value]));
  const policyBase64 = fields.get('policy');
  if (!policyBase64) {
    throw new PostPolicyError(
      'AccessDenied',
      403,
      'Bucket POST must contain a field named policy; anonymous uploads are not allowed',
    );
  }
  verifySignature(fields, policyBase64, secretAccessKey);

  let policy: { expiration?: string; conditions?: Condition[] };
  try {
    policy = JSON.parse(Buffer.from(policyBase64, 'base64').toString('utf8'));
  } catch {
    throw new PostPolicyError('InvalidPolicyDocument', 400, 'Invalid Policy: Invalid JSON.');
  }
  if (!policy.expiration || !(Date.parse(policy.expiration) > now.getTime())) {
    throw new PostPolicyError('AccessDenied', 403, 'Invalid according to Policy: Policy expired.');
  }

  const covered = new Set<string>();
  const fieldValue = (field: string) => (field === 'bucket' ? upload.bucket : fields.get(field));
  for (const condition of policy.conditions ?? []) {
    if (Array.isArray(condition)) {
      const [operator, first, second] = condition;
      if (operator === 'content-length-range') {
        const [min, max] = [Number(first), Number(second)];
        if (upload.fileSize > max) {
          throw new PostPolicyError(
            'EntityTooLarge',
            400,
            'Your proposed upload exceeds the maximum allowed size',
          );
        }
        if (upload.fileSize < min) {
          throw new PostPolicyError(
            'EntityTooSmall',
            400,
            'Your proposed upload is smaller than the minimum allowed size',
          );
        }
        continue;
      }
      const field = String(first).replace(/^\$/, '').toLowerCase();
      covered.add(field);
      const value = fieldValue(field) ?? '';
      const holds =
        operator.toLowerCase() === 'eq'
          ? value === second
          : operator.toLowerCase() === 'starts-with' && value.startsWith(String(second));
      if (!holds) throw conditionFailed(condition);
    } else {
      for (const [name, expected] of Object.entries(condition)) {
        const field = name.toLowerCase();
        covered.add(field);
        if (fieldValue(field) !== expected) throw conditionFailed(['eq', `$${name}`, expected]);
      }
    }
  }

  const extra = [...fields.keys()].filter(
    (name) => !EXEMPT_FIELDS.has(name) && !name.startsWith('x-ignore-') && !covered.has(name),
  );
  if (extra.length > 0) {
    throw new PostPolicyError(
      'AccessDenied',
      403,
      `Invalid according to Policy: Extra input fields: ${extra.join(', ')}`,
    );
  }
}

function verifySignature(fields: Map<string, string>, policyBase64: string, secretAccessKey: string): void {
  const credential = fields.get('x-amz-credential') ?? '';
  const [, date, region, service, terminator] = credential.split('/');
  const signature = fields.get('x-amz-signature') ?? '';
  if (
    fields.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256' ||
    !date ||
    !region ||
    service !== 's3' ||
    terminator !== 'aws4_request'
  ) {
    throw new PostPolicyError(
      'InvalidArgument',
      400,
      'POST requires x-amz-algorithm AWS4-HMAC-SHA256 and a valid x-amz-credential',
    );
  }
  const key = [date, region, service, terminator].reduce<Buffer>(
    (k, part) => createHmac('sha256', k).update(part).digest(),
    Buffer.from(`AWS4${secretAccessKey}`),
  );
  const expected = createHmac('sha256', key).update(policyBase64).digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new PostPolicyError(
      'SignatureDoesNotMatch',
      403,
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
}

function conditionFailed(condition: unknown[]): PostPolicyError {
  return new PostPolicyError(
    'AccessDenied',
    403,
    `Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`,
  );
}

/** S3's XML error body. */
export function s3ErrorXml(error: S3RequestError): string {
  const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message></Error>`;
}
