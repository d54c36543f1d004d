/**
 * The local S3's signature and key checks, against requests signed by the SDK itself: an S3Client
 * whose request handler captures the signed request instead of sending it, and getSignedUrl.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import {
  assertSafeCopySource,
  assertSafeTarget,
  checkSignature,
  deleteObjectsKeys,
  type S3Request,
  S3RequestError,
  unsafeKeyReason,
} from '../../local/s3-auth';

const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const ENDPOINT = 'http://127.0.0.1:4601';

function client(credentials = CREDENTIALS, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint: ENDPOINT,
    region: 'us-east-1',
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...extra,
  });
}

/** Like the SDK's node handler: each query key and value escaped, in the request's order. */
function escapeQuery(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

interface CapturedRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
}

function asServerRequest(captured: CapturedRequest): S3Request {
  const query = Object.entries(captured.query ?? {})
    .flatMap(([key, value]) =>
      value === null
        ? [escapeQuery(key)]
        : [value].flat().map((v) => `${escapeQuery(key)}=${escapeQuery(v)}`),
    )
    .join('&');
  return {
    method: captured.method,
    url: query ? `${captured.path}?${query}` : captured.path,
    headers: Object.fromEntries(Object.entries(captured.headers).map(([k, v]) => [k.toLowerCase(), v])),
  };
}

/** The request the SDK sends for a command, signed, as the local S3's front receives it. */
async function signedBySdk(
  command: GetObjectCommand | PutObjectCommand | ListObjectsV2Command,
  credentials = CREDENTIALS,
): Promise<S3Request> {
  let captured: CapturedRequest | undefined;
  const s3 = client(credentials, {
    requestHandler: {
      handle: async (request: CapturedRequest) => {
        captured = request;
        throw new Error('captured');
      },
    } as unknown as S3ClientConfig['requestHandler'],
    maxAttempts: 1,
  });
  await s3.send(command as GetObjectCommand).catch(() => {});
  s3.destroy();
  if (!captured) throw new Error('the SDK sent nothing');
  return asServerRequest(captured);
}

async function presignedGet(key: string, expiresIn = 300, credentials = CREDENTIALS): Promise<S3Request> {
  const s3 = client(credentials);
  const url = new URL(
    await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'photo-repo', Key: key }), { expiresIn }),
  );
  s3.destroy();
  return { method: 'GET', url: `${url.pathname}${url.search}`, headers: { host: url.host } };
}

async function refusal(request: S3Request, now?: Date): Promise<S3RequestError> {
  const error = await checkSignature(request, CREDENTIALS, now).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof S3RequestError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe('SigV4 in the Authorization header', () => {
  it('accepts what the SDK signs: GetObject, PutObject (hashed body), ListObjectsV2 with awkward characters', async () => {
    const requests = [
      await signedBySdk(
        new GetObjectCommand({ Bucket: 'photo-repo', Key: 'Incoming/local-user/é ü+1 (2).jpg' }),
      ),
      await signedBySdk(
        new PutObjectCommand({
          Bucket: 'photo-repo',
          Key: 'Incoming/local-user/a b~c*.png',
          Body: Buffer.from('hello'),
          ContentType: 'image/png',
        }),
      ),
      await signedBySdk(
        new ListObjectsV2Command({
          Bucket: 'photo-repo',
          Prefix: 'Incoming/ a+b',
          ContinuationToken: 'x+y/z=',
        }),
      ),
    ];
    expect(requests[1].headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    for (const request of requests)
      await expect(checkSignature(request, CREDENTIALS)).resolves.toBeUndefined();
  });

  it('accepts UNSIGNED-PAYLOAD (a streamed body) and a STREAMING-AWS4-HMAC-SHA256-PAYLOAD seed signature', async () => {
    const streamed = await signedBySdk(
      new PutObjectCommand({
        Bucket: 'photo-repo',
        Key: 'Incoming/local-user/s.jpg',
        Body: Readable.from([Buffer.from('hello')]),
        ContentLength: 5,
      }),
    );
    expect(streamed.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    await expect(checkSignature(streamed, CREDENTIALS)).resolves.toBeUndefined();

    const signer = new SignatureV4({
      service: 's3',
      region: 'us-east-1',
      credentials: CREDENTIALS,
      sha256: Sha256,
      uriEscapePath: false,
    });
    const chunked = await signer.sign({
      method: 'PUT',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 4601,
      path: '/photo-repo/Incoming/local-user/c.jpg',
      query: {},
      headers: {
        host: '127.0.0.1:4601',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '5',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      },
    });
    await expect(
      checkSignature(asServerRequest(chunked as unknown as CapturedRequest), CREDENTIALS),
    ).resolves.toBeUndefined();
  });

  it('refuses an unsigned request, a wrong secret, an unknown key id and a skewed clock', async () => {
    expect(
      await refusal({ method: 'GET', url: '/photo-repo/?list-type=2', headers: { host: 'h' } }),
    ).toMatchObject({
      code: 'AccessDenied',
      status: 403,
      message: expect.stringMatching(/sign.*local cloud's credentials/i),
    });
    const get = new GetObjectCommand({ Bucket: 'photo-repo', Key: 'Incoming/local-user/a.jpg' });
    expect(
      await refusal(await signedBySdk(get, { accessKeyId: 'S3RVER', secretAccessKey: 'guess' })),
    ).toMatchObject({
      code: 'SignatureDoesNotMatch',
      status: 403,
    });
    expect(
      await refusal(await signedBySdk(get, { accessKeyId: 'AKIAOTHER', secretAccessKey: 'S3RVER' })),
    ).toMatchObject({
      code: 'InvalidAccessKeyId',
      status: 403,
    });
    expect(await refusal(await signedBySdk(get), new Date(Date.now() + 16 * 60_000))).toMatchObject({
      code: 'RequestTimeTooSkewed',
      status: 403,
    });
  });

  it('refuses a request whose path, query or a signed header was changed after signing', async () => {
    const get = await signedBySdk(
      new GetObjectCommand({ Bucket: 'photo-repo', Key: 'Incoming/alice/a.jpg' }),
    );
    const list = await signedBySdk(
      new ListObjectsV2Command({ Bucket: 'photo-repo', Prefix: 'Incoming/alice/' }),
    );
    const put = await signedBySdk(
      new PutObjectCommand({
        Bucket: 'photo-repo',
        Key: 'a.jpg',
        Body: Buffer.from('x'),
        ContentType: 'image/jpeg',
      }),
    );
    const tampered: S3Request[] = [
      { ...get, url: get.url.replace('alice', 'bob') },
      { ...list, url: list.url.replace('alice', 'bob') },
      { ...list, url: `${list.url}&max-keys=1000` },
      { ...put, headers: { ...put.headers, 'content-type': 'text/html' } },
      { ...get, method: 'DELETE' },
    ];
    for (const request of tampered) {
      expect(await refusal(request)).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    }
  });
});

describe('presigned URLs', () => {
  it('accepts a presigned GET until X-Amz-Expires runs out', async () => {
    const request = await presignedGet('Thumbnails/local-user/é 1.jpg', 300);
    await expect(checkSignature(request, CREDENTIALS)).resolves.toBeUndefined();
    await expect(
      checkSignature(request, CREDENTIALS, new Date(Date.now() + 290_000)),
    ).resolves.toBeUndefined();
    expect(await refusal(request, new Date(Date.now() + 301_000))).toMatchObject({
      code: 'AccessDenied',
      status: 403,
      message: 'Request has expired',
    });
  });

  it('refuses a presigned URL that was tampered with or signed with another secret', async () => {
    const request = await presignedGet('Thumbnails/alice/a.jpg');
    expect(await refusal({ ...request, url: request.url.replace('alice', 'bob') })).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
    expect(
      await refusal({ ...request, url: request.url.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=3000') }),
    ).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(
      await refusal({ ...request, url: `${request.url}&response-content-type=text%2Fhtml` }),
    ).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(
      await refusal(await presignedGet('a.jpg', 300, { accessKeyId: 'S3RVER', secretAccessKey: 'nope' })),
    ).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    expect(
      await refusal({ ...request, url: request.url.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604801') }),
    ).toMatchObject({ code: 'AuthorizationQueryParametersError', status: 400 });
  });
});

describe('keys that could leave the bucket folder', () => {
  it('refuses ".." and "." segments, backslashes and a leading slash, after percent-decoding', () => {
    for (const target of [
      '/photo-repo/Incoming/..%2F..%2Fx',
      '/photo-repo/Incoming/../../x',
      '/photo-repo/%2E%2E/x',
      '/photo-repo/Incoming/./x',
      '/photo-repo/a%5C..%5Cb',
      '/photo-repo//etc/passwd',
      '/photo-repo/%2Fetc',
      '/photo-repo/..',
      '/photo-repo/Incoming/u/x?uploadId=..%2F..%2Fy',
    ]) {
      expect(() => assertSafeTarget(target), target).toThrow(
        expect.objectContaining({ code: 'InvalidArgument', status: 400 }),
      );
    }
    expect(() => assertSafeTarget('/..%2F..')).toThrow(expect.objectContaining({ status: 400 }));
  });

  it('lets ordinary keys through, dots within names included', () => {
    for (const target of [
      '/photo-repo',
      '/photo-repo/',
      '/photo-repo/?list-type=2&prefix=Incoming%2F..',
      '/photo-repo/Incoming/local-user/a..b.jpg',
      '/photo-repo/Incoming/local-user/.hidden',
      '/photo-repo/Incoming/local-user/%C3%A9%20%2B.jpg',
    ]) {
      expect(() => assertSafeTarget(target), target).not.toThrow();
    }
    expect(unsafeKeyReason('Incoming/u/...')).toBeUndefined();
  });

  it('checks copy sources and DeleteObjects keys too', () => {
    expect(() => assertSafeCopySource('photo-repo/Incoming%2F..%2F..%2Fsecret')).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
    expect(() => assertSafeCopySource('/photo-repo/Incoming/a.jpg?versionId=1')).not.toThrow();
    expect(
      deleteObjectsKeys(
        '<Delete><Object><Key>a&amp;b</Key></Object><Object><Key>../x&#47;y</Key></Object></Delete>',
      ),
    ).toEqual(['a&b', '../x/y']);
  });
});

/** node:crypto SHA-256, and HMAC-SHA-256 with a secret, in the signer's Checksum shape. */
class Sha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  update(data: Uint8Array) {
    this.hash.update(data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
  reset() {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    const secret = this.secret;
    if (secret === undefined) return createHash('sha256');
    if (typeof secret === 'string') return createHmac('sha256', secret);
    const bytes = ArrayBuffer.isView(secret)
      ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)
      : new Uint8Array(secret);
    return createHmac('sha256', bytes);
  }
}
