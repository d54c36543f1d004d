/**
 * The local S3's request checks, which s3rver skips: every request must carry an AWS Signature V4
 * made with the local cloud's credentials (in the Authorization header, or presigned in the query),
 * and no key may climb out of the bucket's folder. Errors carry S3's codes, statuses and messages.
 *
 * The signature is recomputed with the SDK's own signer (@smithy/signature-v4: its canonical
 * headers, query and request, and its string to sign and signing key), so what the SDK signs is
 * what is checked here.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { getCanonicalHeaders, SignatureV4 } from '@smithy/signature-v4';

export class S3RequestError extends Error {
  constructor(
    public readonly code: string,
    public readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3Request {
  method: string;
  /** The request target exactly as received: path (percent-encoded as the client sent it) and query. */
  url: string;
  headers: IncomingHttpHeaders;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** S3's tolerance for a signed request's clock. */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** S3's longest presigned URL: a week. */
const MAX_EXPIRES_SECONDS = 7 * 24 * 60 * 60;

const SIGN_HINT =
  "The local S3 takes only requests signed (AWS Signature V4, headers or presigned URL) with the local cloud's credentials: use an AWS SDK client with the environment `npm start` writes to .local-cloud/running.json";

/**
 * Throws an S3RequestError unless the request is signed (SigV4 Authorization header or presigned
 * query) with these credentials, within its time limits.
 */
export async function checkSignature(
  request: S3Request,
  credentials: S3Credentials,
  now = new Date(),
): Promise<void> {
  const { path, query } = splitTarget(request.url);
  const authorization = headerValue(request.headers, 'authorization');
  const queryKeys = new Set(Object.keys(query).map((key) => key.toLowerCase()));
  const presigned = queryKeys.has('x-amz-signature') || queryKeys.has('x-amz-algorithm');
  if (queryKeys.has('signature') && queryKeys.has('awsaccesskeyid')) {
    throw new S3RequestError('InvalidArgument', 400, `Signature Version 2 is not accepted. ${SIGN_HINT}`);
  }
  if (authorization === undefined && !presigned) {
    throw new S3RequestError('AccessDenied', 403, `Anonymous access is denied. ${SIGN_HINT}`);
  }
  if (authorization !== undefined && presigned) {
    throw new S3RequestError(
      'InvalidArgument',
      400,
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified',
    );
  }

  const signed = authorization !== undefined ? fromHeader(authorization, request.headers) : fromQuery(query);
  const [accessKeyId, shortDate, region, service, terminator, ...rest] = signed.credential.split('/');
  if (!accessKeyId || !region || service !== 's3' || terminator !== 'aws4_request' || rest.length > 0) {
    throw new S3RequestError(
      authorization !== undefined ? 'AuthorizationHeaderMalformed' : 'AuthorizationQueryParametersError',
      400,
      `The credential is malformed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/s3/aws4_request", got "${signed.credential}"`,
    );
  }
  if (accessKeyId !== credentials.accessKeyId) {
    throw new S3RequestError(
      'InvalidAccessKeyId',
      403,
      `The AWS Access Key Id you provided does not exist in our records. ${SIGN_HINT}`,
    );
  }
  const signingDate = parseAmzDate(signed.date);
  if (!signingDate) {
    throw new S3RequestError(
      'AccessDenied',
      403,
      'AWS authentication requires a valid X-Amz-Date (YYYYMMDDTHHMMSSZ)',
    );
  }
  if (shortDate !== signed.date.slice(0, 8)) {
    throw new S3RequestError(
      'SignatureDoesNotMatch',
      403,
      `The credential's date ${shortDate} is not the request's date ${signed.date.slice(0, 8)}`,
    );
  }
  if (signed.expiresSeconds === undefined) {
    if (Math.abs(now.getTime() - signingDate.getTime()) > MAX_SKEW_MS) {
      throw new S3RequestError(
        'RequestTimeTooSkewed',
        403,
        'The difference between the request time and the current time is too large.',
      );
    }
  } else {
    if (signingDate.getTime() - now.getTime() > MAX_SKEW_MS) {
      throw new S3RequestError('AccessDenied', 403, 'Request is not valid yet');
    }
    if (now.getTime() > signingDate.getTime() + signed.expiresSeconds * 1000) {
      throw new S3RequestError('AccessDenied', 403, 'Request has expired');
    }
  }
  const signedHeaders = signed.signedHeaders.split(';').filter(Boolean);
  if (!signedHeaders.includes('host')) {
    throw new S3RequestError(
      'AccessDenied',
      403,
      'The host header must be signed (SignedHeaders lacks host)',
    );
  }

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  const expected = await new SignatureCheck(credentials).signatureOf(
    { method: request.method, path, query, headers },
    signedHeaders,
    signed.payloadHash,
    { longDate: signed.date, signingDate, region },
  );
  const given = Buffer.from(signed.signature, 'utf8');
  const wanted = Buffer.from(expected, 'utf8');
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    throw new S3RequestError(
      'SignatureDoesNotMatch',
      403,
      `The request signature we calculated does not match the signature you provided. Check your key and signing method. ${SIGN_HINT}`,
    );
  }
}

interface SignedParts {
  credential: string;
  signedHeaders: string;
  signature: string;
  /** X-Amz-Date, YYYYMMDDTHHMMSSZ. */
  date: string;
  payloadHash: string;
  /** Presigned URLs only. */
  expiresSeconds?: number;
}

function fromHeader(authorization: string, headers: IncomingHttpHeaders): SignedParts {
  const malformed = (detail: string) =>
    new S3RequestError(
      'AuthorizationHeaderMalformed',
      400,
      `The authorization header is malformed; ${detail}`,
    );
  const space = authorization.indexOf(' ');
  const algorithm = space === -1 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw new S3RequestError(
      'InvalidArgument',
      400,
      `Unsupported Authorization Type ${algorithm}. ${SIGN_HINT}`,
    );
  }
  const components = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) components.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = components.get('Credential');
  const signedHeaders = components.get('SignedHeaders');
  const signature = components.get('Signature');
  if (!credential || !signedHeaders || !signature) {
    throw malformed('it requires three components: Credential, SignedHeaders, and Signature.');
  }
  const payloadHash = headerValue(headers, 'x-amz-content-sha256');
  if (payloadHash === undefined) {
    throw new S3RequestError(
      'InvalidRequest',
      400,
      'Missing required header for this request: x-amz-content-sha256',
    );
  }
  // The literal value is the canonical request's payload hash: a hex SHA-256, UNSIGNED-PAYLOAD, or a
  // STREAMING-* value for aws-chunked bodies (whose chunk signatures are not checked here).
  if (!/^([0-9a-f]{64}|UNSIGNED-PAYLOAD|STREAMING-[A-Z0-9-]+)$/.test(payloadHash)) {
    throw new S3RequestError(
      'InvalidArgument',
      400,
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.',
    );
  }
  const amzDate = headerValue(headers, 'x-amz-date');
  const dateHeader = headerValue(headers, 'date');
  const date = amzDate ?? (dateHeader ? toAmzDate(new Date(dateHeader)) : '');
  return { credential, signedHeaders, signature, date, payloadHash };
}

function fromQuery(query: Query): SignedParts {
  const param = (name: string) => {
    const value = query[name];
    return typeof value === 'string' ? value : undefined;
  };
  const missing = [
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Signature',
    'X-Amz-Date',
    'X-Amz-SignedHeaders',
    'X-Amz-Expires',
  ].filter((name) => param(name) === undefined);
  if (missing.length > 0) {
    throw new S3RequestError(
      'AuthorizationQueryParametersError',
      400,
      `Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters (missing ${missing.join(', ')})`,
    );
  }
  if (param('X-Amz-Algorithm') !== ALGORITHM) {
    throw new S3RequestError(
      'AuthorizationQueryParametersError',
      400,
      'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
    );
  }
  const expires = param('X-Amz-Expires')!;
  const expiresSeconds = Number(expires);
  if (!/^\d+$/.test(expires) || expiresSeconds < 1 || expiresSeconds > MAX_EXPIRES_SECONDS) {
    throw new S3RequestError(
      'AuthorizationQueryParametersError',
      400,
      'X-Amz-Expires must be a number of seconds from 1 to 604800 (a week)',
    );
  }
  return {
    credential: param('X-Amz-Credential')!,
    signedHeaders: param('X-Amz-SignedHeaders')!,
    signature: param('X-Amz-Signature')!,
    date: param('X-Amz-Date')!,
    // A presigned request's payload is never signed.
    payloadHash: param('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
    expiresSeconds,
  };
}

/** The SDK's signer, computing the signature a request should carry from the parts it was signed with. */
class SignatureCheck extends SignatureV4 {
  constructor(credentials: S3Credentials) {
    // uriEscapePath false: S3 signs the path as sent (the SDK's S3 client does the same).
    super({ service: 's3', region: 'us-east-1', credentials, sha256: NodeSha256, uriEscapePath: false });
  }

  async signatureOf(
    request: { method: string; path: string; query: Query; headers: Record<string, string> },
    signedHeaders: string[],
    payloadHash: string,
    { longDate, signingDate, region }: { longDate: string; signingDate: Date; region: string },
  ): Promise<string> {
    const httpRequest = { ...request, protocol: 'http:', hostname: '' } as Parameters<
      typeof getCanonicalHeaders
    >[0];
    // Exactly the headers the client signed, even ones the SDK itself would not sign (user-agent).
    const canonicalHeaders = getCanonicalHeaders(httpRequest, undefined, new Set(signedHeaders));
    const canonicalRequest = this.createCanonicalRequest(httpRequest, canonicalHeaders, payloadHash);
    const scope = `${longDate.slice(0, 8)}/${region}/s3/aws4_request`;
    const stringToSign = await this.createStringToSign(longDate, scope, canonicalRequest, ALGORITHM);
    return this.sign(stringToSign, { signingDate, signingRegion: region, signingService: 's3' });
  }
}

/** SHA-256 (and HMAC-SHA-256 with a secret) from node:crypto, in the shape the signer takes. */
class NodeSha256 {
  private hash: ReturnType<typeof createHash>;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
  private fresh() {
    if (this.secret === undefined) return createHash('sha256');
    const key =
      typeof this.secret === 'string'
        ? Buffer.from(this.secret, 'utf8')
        : ArrayBuffer.isView(this.secret)
          ? Buffer.from(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : Buffer.from(this.secret);
    return createHmac('sha256', key) as unknown as ReturnType<typeof createHash>;
  }
}

type Query = Record<string, string | string[]>;

/**
 * The path as sent and the query decoded, as the signer's canonical query wants it. Not
 * URLSearchParams: a `+` in a signed query is a plus, not a space.
 */
export function splitTarget(url: string): { path: string; query: Query } {
  const mark = url.indexOf('?');
  const path = mark === -1 ? url : url.slice(0, mark);
  const query: Query = {};
  if (mark !== -1) {
    for (const pair of url.slice(mark + 1).split('&')) {
      if (pair === '') continue;
      const equals = pair.indexOf('=');
      const key = decode(equals === -1 ? pair : pair.slice(0, equals));
      const value = equals === -1 ? '' : decode(pair.slice(equals + 1));
      const existing = query[key];
      query[key] = existing === undefined ? value : [...[existing].flat(), value];
    }
  }
  return { path, query };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new S3RequestError('InvalidArgument', 400, `Invalid percent-encoding in "${text}"`);
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function toAmzDate(date: Date): string {
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().replace(/[-:]|\.\d{3}/g, '');
}

/**
 * Why a key is refused, or undefined when it is safe. S3 itself takes any key (`../x` is a fine S3
 * key), but s3rver stores each key as a file path under the bucket's folder, so `..` and `.`
 * segments, backslashes, NUL and a leading `/` could read or write outside it.
 */
export function unsafeKeyReason(key: string): string | undefined {
  if (key.startsWith('/')) return 'it starts with "/"';
  if (key.includes('\\')) return 'it contains a backslash';
  if (key.includes('\0')) return 'it contains a NUL character';
  if (key.split('/').some((segment) => segment === '..' || segment === '.'))
    return 'it has a "." or ".." path segment';
  return undefined;
}

/** Throws InvalidArgument (400) when a key could escape the bucket's folder in s3rver's store. */
export function assertSafeKey(key: string, what = 'key'): void {
  const reason = unsafeKeyReason(key);
  if (reason) {
    throw new S3RequestError(
      'InvalidArgument',
      400,
      `The local S3 refuses the ${what} ${JSON.stringify(key)}: ${reason} (s3rver stores keys as file paths, so such a key could reach outside the bucket's folder)`,
    );
  }
}

/**
 * Checks the bucket and key a path-style request target names (`/bucket/key?query`), after
 * percent-decoding, and the multipart uploadId (s3rver makes a folder of it).
 */
export function assertSafeTarget(url: string): void {
  const { path, query } = splitTarget(url);
  if (!path.startsWith('/')) {
    throw new S3RequestError('InvalidArgument', 400, `Invalid request target ${JSON.stringify(url)}`);
  }
  const slash = path.indexOf('/', 1);
  const bucket = decode(slash === -1 ? path.slice(1) : path.slice(1, slash));
  if (bucket === '.' || bucket === '..' || /[/\\\0]/.test(bucket)) {
    throw new S3RequestError(
      'InvalidBucketName',
      400,
      `The specified bucket is not valid: ${JSON.stringify(bucket)}`,
    );
  }
  if (slash !== -1) assertSafeKey(decode(path.slice(slash + 1)));
  // s3rver makes a folder of a multipart upload's id.
  for (const id of [query.uploadId ?? []].flat()) {
    if (id === '.' || id === '..' || /[/\\\0]/.test(id)) {
      throw new S3RequestError(
        'InvalidArgument',
        400,
        `The local S3 refuses the uploadId ${JSON.stringify(id)}`,
      );
    }
  }
}

/** Checks a copy source (`x-amz-copy-source: bucket/key[?versionId=...]`, URL-encoded). */
export function assertSafeCopySource(copySource: string): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(copySource.split('?')[0]);
  } catch {
    throw new S3RequestError('InvalidArgument', 400, 'Invalid copy source encoding');
  }
  const source = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = source.indexOf('/');
  const bucket = slash === -1 ? source : source.slice(0, slash);
  if (bucket === '.' || bucket === '..' || bucket.includes('\\')) {
    throw new S3RequestError('InvalidArgument', 400, 'Invalid copy source bucket name');
  }
  if (slash !== -1) assertSafeKey(source.slice(slash + 1), 'copy source key');
}

/** The keys of a DeleteObjects body (`<Delete><Object><Key>...</Key></Object>...</Delete>`). */
export function deleteObjectsKeys(xml: string): string[] {
  const unescapeXml = (text: string) =>
    text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, entity: string) => {
      const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
      if (entity[0] !== '#') return named[entity.toLowerCase()];
      const code =
        entity[1] === 'x' || entity[1] === 'X'
          ? Number.parseInt(entity.slice(2), 16)
          : Number(entity.slice(1));
      return String.fromCodePoint(code);
    });
  return [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((match) => unescapeXml(match[1]));
}
