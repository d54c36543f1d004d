import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { bindHttpServer, RequestBodyTooLarge, readBody, sendAwsJson, urlOf } from '../http';
import { LOOPBACK_HOST } from '../ports';
import {
  internalServerError,
  invalidImageFormat,
  invalidParameters,
  invalidS3Object,
  provisionedThroughputExceeded,
  RekognitionError,
  serializationError,
  unknownOperation,
  validationError,
} from './errors';
import { checkImageSize, inspectImage } from './image';
import { DEFAULT_MIN_CONFIDENCE, toDetectLabelsResponse } from './labels';
import { ImageDecodeError } from './prepare';
import type { Recognition, Recognizer } from './recognizer';
import { RecognizerPool } from './recognizer-pool';

/**
 * A local Amazon Rekognition endpoint for DetectLabels, speaking the service's JSON 1.1 protocol so
 * the unchanged SDK client works against it (AWS_ENDPOINT_URL_REKOGNITION=<url>). SigV4 signatures
 * are accepted unchecked, whatever the credentials.
 */

/** Reads an S3 object for `Image.S3Object`; any rejection is answered as InvalidS3ObjectException. */
export type S3ObjectReader = (bucket: string, key: string, version?: string) => Promise<Uint8Array>;

export interface RekognitionServerOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port; the handle reports the one chosen) */
  readonly port?: number;
  /** A listener already bound (see bindHttpServer), used instead of host and port. */
  readonly server?: Server;
  /**
   * Serves `Image.S3Object`; the local cloud passes one backed by its local S3.
   * @default none: S3Object requests fail with InvalidS3ObjectException
   */
  readonly readS3Object?: S3ObjectReader;
  /**
   * Finds what the image shows; the server owns it and closes it on close().
   * @default a RecognizerPool: the detector and classifier in one worker thread per core, loaded on first use
   */
  readonly recognizer?: Recognizer;
  /** Told about failures that are the endpoint's own fault (answered as InternalServerError). @default console.error */
  readonly onInternalError?: (error: unknown) => void;
}

export interface RekognitionServerStats {
  /** Every HTTP request, control routes included. */
  requests: number;
  /** DetectLabels calls, throttled ones included. */
  detectLabels: number;
  succeeded: number;
  throttled: number;
  /** Error answers by `__type`. */
  errors: Record<string, number>;
  /** Inference time of the last successful recognition, ms (waiting for a free worker excluded). */
  lastInferenceMs?: number;
}

export interface RekognitionServer {
  /** Base URL for the SDK's `endpoint` / AWS_ENDPOINT_URL_REKOGNITION, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** Live counters. */
  readonly stats: Readonly<RekognitionServerStats>;
  /** Recognizer threads: requests beyond this many wait in a first-come, first-served queue. */
  readonly workers: number;
  /** The next `count` DetectLabels calls fail with ProvisionedThroughputExceededException (replaces any pending count). */
  throttleNext(count: number): void;
  /** Loads the models now rather than on the first call; resolves to their load time in ms. */
  warmUp(): Promise<number>;
  /** Stops listening, drops open connections, waits for requests in progress, stops the recognizer. Idempotent. */
  close(): Promise<void>;
}

const JSON_1_1 = 'application/x-amz-json-1.1';
const DETECT_LABELS = 'RekognitionService.DetectLabels';
/** 5 MB of image as base64 is ~7 MB; anything far past that is refused without buffering it. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

interface DetectLabelsInput {
  readonly image:
    | { readonly bytes: Buffer }
    | { readonly bucket: string; readonly key: string; readonly version?: string };
  readonly maxLabels?: number;
  readonly minConfidence: number;
}

export async function startRekognitionServer(
  options: RekognitionServerOptions = {},
): Promise<RekognitionServer> {
  // Loopback only: the endpoint answers anyone unsigned, and reads the local S3 for them.
  const server =
    options.server ??
    (await bindHttpServer(
      options.host ?? LOOPBACK_HOST,
      options.port ?? 0,
      'The local Rekognition endpoint',
    ));
  const recognizer = options.recognizer ?? new RecognizerPool();
  const onInternalError =
    options.onInternalError ?? ((error: unknown) => console.error('[local rekognition]', error));
  const stats: RekognitionServerStats = {
    requests: 0,
    detectLabels: 0,
    succeeded: 0,
    throttled: 0,
    errors: {},
  };
  const inFlight = new Set<Promise<void>>();
  let throttleRemaining = 0;

  const throttleNext = (count: number): void => {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`throttleNext needs a whole number of calls >= 0, got ${count}`);
    }
    throttleRemaining = count;
  };

  async function detectLabels(body: Buffer): Promise<unknown> {
    stats.detectLabels++;
    if (throttleRemaining > 0) {
      throttleRemaining--;
      stats.throttled++;
      throw provisionedThroughputExceeded();
    }
    const input = parseDetectLabelsInput(body);
    const image = await loadImage(input.image, options.readS3Object);
    await inspectImage(image);
    let result: Recognition;
    try {
      result = await recognizer.recognize(image);
    } catch (error) {
      if (error instanceof ImageDecodeError) throw invalidImageFormat();
      throw error;
    }
    stats.lastInferenceMs = result.inferenceMs;
    return toDetectLabelsResponse(result, {
      maxLabels: input.maxLabels,
      minConfidence: input.minConfidence,
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const body = await readBody(req, MAX_BODY_BYTES).catch((error: unknown) => {
      throw error instanceof RequestBodyTooLarge
        ? validationError(
            `'<${error.size} bytes>'`,
            'body',
            `Request must be at most ${MAX_BODY_BYTES} bytes (Image.Bytes at most 5242880 before base64)`,
          )
        : error;
    });
    if (path === '/_local/throttle' && req.method === 'POST') {
      const count = parseJsonObject(body).count;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
        throw validationError(`'${String(count)}'`, 'count', 'Member must be a whole number >= 0');
      }
      throttleNext(count);
      return sendJson(res, 200, requestId, { throttleNext: count });
    }
    if (path === '/_local/stats' && req.method === 'GET') {
      return sendJson(res, 200, requestId, stats);
    }
    const target = req.headers['x-amz-target'];
    const operation = Array.isArray(target) ? target[0] : target;
    if (req.method !== 'POST' || path !== '/' || operation !== DETECT_LABELS) {
      throw unknownOperation(operation);
    }
    const response = await detectLabels(body);
    stats.succeeded++;
    sendJson(res, 200, requestId, response);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    const requestId = randomUUID();
    const handled = route(req, res, requestId).catch((error: unknown) => {
      if (res.destroyed) return; // the client is gone, or close() dropped it: nobody to answer
      const answer = error instanceof RekognitionError ? error : internalServerError(describe(error));
      if (!(error instanceof RekognitionError)) onInternalError(error);
      stats.errors[answer.type] = (stats.errors[answer.type] ?? 0) + 1;
      sendError(res, requestId, answer);
    });
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });

  const url = urlOf(server);
  let closing: Promise<void> | undefined;
  return {
    url,
    port: Number(new URL(url).port),
    stats,
    workers: recognizer.concurrency,
    throttleNext,
    warmUp: () => recognizer.load(),
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve, reject) =>
          server.close((e) => (e ? reject(e) : resolve())),
        );
        server.closeAllConnections();
        await closed;
        await Promise.allSettled([...inFlight]);
        await recognizer.close();
      })();
      return closing;
    },
  };
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw serializationError(`Request body is not valid JSON: ${describe(error)}`);
  }
  if (!isObject(parsed)) throw serializationError('Request body must be a JSON object');
  return parsed;
}

/** Decodes base64 strictly: Buffer.from() skips invalid characters silently. A round trip, as a regex over ~7 MB overflows the stack. */
function decodeBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  const unpadded = (s: string) => s.replace(/={1,2}$/, '');
  return unpadded(bytes.toString('base64')) === unpadded(text) ? bytes : undefined;
}

/** Validates a DetectLabels request as the service does: types first, then constraints. */
export function parseDetectLabelsInput(body: Buffer): DetectLabelsInput {
  const request = parseJsonObject(body);
  const { Image, MaxLabels, MinConfidence } = request;

  if (Image === undefined || Image === null)
    throw validationError('null', 'image', 'Member must not be null');
  if (!isObject(Image)) throw serializationError('Image must be a structure');
  if (MaxLabels !== undefined && MaxLabels !== null && !Number.isInteger(MaxLabels)) {
    throw serializationError(`MaxLabels must be an integer, got ${JSON.stringify(MaxLabels)}`);
  }
  if (MinConfidence !== undefined && MinConfidence !== null && typeof MinConfidence !== 'number') {
    throw serializationError(`MinConfidence must be a number, got ${JSON.stringify(MinConfidence)}`);
  }
  const maxLabels = (MaxLabels ?? undefined) as number | undefined;
  const minConfidence = (MinConfidence ?? DEFAULT_MIN_CONFIDENCE) as number;
  if (maxLabels !== undefined && maxLabels < 0) {
    throw validationError(`'${maxLabels}'`, 'maxLabels', 'Member must have value greater than or equal to 0');
  }
  if (minConfidence < 0 || minConfidence > 100) {
    const bound = minConfidence < 0 ? 'greater than or equal to 0' : 'less than or equal to 100';
    throw validationError(`'${minConfidence}'`, 'minConfidence', `Member must have value ${bound}`);
  }

  const { Bytes, S3Object } = Image;
  const hasBytes = Bytes !== undefined && Bytes !== null;
  const hasS3 = S3Object !== undefined && S3Object !== null;
  // Exactly one source: neither or both is the service's generic parameter error.
  if (hasBytes === hasS3) throw invalidParameters();

  if (hasBytes) {
    const bytes = typeof Bytes === 'string' ? decodeBase64(Bytes) : undefined;
    if (!bytes) throw serializationError('Image.Bytes must be a base64-encoded string');
    if (bytes.length === 0) {
      throw validationError(
        "'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]'",
        'image.bytes',
        'Member must have length greater than or equal to 1',
      );
    }
    return { image: { bytes }, maxLabels, minConfidence };
  }

  if (!isObject(S3Object)) throw serializationError('Image.S3Object must be a structure');
  const { Bucket, Name, Version } = S3Object;
  for (const [field, value] of [
    ['bucket', Bucket],
    ['name', Name],
  ] as const) {
    if (value === undefined || value === null || value === '') {
      throw validationError('null', `image.s3Object.${field}`, 'Member must not be null');
    }
    if (typeof value !== 'string') throw serializationError(`Image.S3Object.${field} must be a string`);
  }
  if (Version !== undefined && Version !== null && typeof Version !== 'string') {
    throw serializationError('Image.S3Object.Version must be a string');
  }
  return {
    image: {
      bucket: Bucket as string,
      key: Name as string,
      version: (Version ?? undefined) as string | undefined,
    },
    maxLabels,
    minConfidence,
  };
}

async function loadImage(
  image: DetectLabelsInput['image'],
  readS3Object: S3ObjectReader | undefined,
): Promise<Buffer> {
  if ('bytes' in image) {
    checkImageSize(image.bytes.length, 'bytes');
    return image.bytes;
  }
  if (!readS3Object) {
    throw invalidS3Object('this local Rekognition endpoint was started without an S3 reader (readS3Object)');
  }
  let data: Uint8Array;
  try {
    data = await readS3Object(image.bucket, image.key, image.version);
  } catch (error) {
    throw invalidS3Object(`s3://${image.bucket}/${image.key}: ${describe(error)}`);
  }
  checkImageSize(data.length, 's3');
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function sendJson(res: ServerResponse, status: number, requestId: string, body: unknown, errorType?: string) {
  sendAwsJson(res, status, body, { contentType: JSON_1_1, requestId, errorType });
}

/** AWS JSON error: `__type` and `x-amzn-ErrorType` name the exception the SDK throws. */
function sendError(res: ServerResponse, requestId: string, error: RekognitionError): void {
  sendJson(
    res,
    error.statusCode,
    requestId,
    { __type: error.type, Code: error.type, Logref: requestId, Message: error.message },
    error.type,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
