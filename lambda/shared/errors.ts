/**
 * Errors a step can end with. Each `name` is a string literal, not the class name, because Step
 * Functions matches Retry/Catch on it (Lambda reports it as errorType) and a minifier may rename
 * classes. Messages are sentences for the person reading the photo's record.
 */

/** The base of each error below: an Error whose `name` is the literal given. */
function namedError<const Name extends string>(name: Name) {
  return class extends Error {
    override readonly name: Name = name;
  };
}

/** The event does not have the shape the state machine or S3 is supposed to send. */
export class InvalidInput extends namedError('InvalidInput') {}

/** A required environment variable is missing or malformed: a deployment (wiring) mistake. */
export class ConfigurationError extends namedError('ConfigurationError') {}

/** The photo's object is gone, usually deleted between upload and processing. */
export class ObjectNotFound extends namedError('ObjectNotFound') {}

/** The file claims to be an image but its data cannot be decoded. */
export class CorruptImage extends namedError('CorruptImage') {}

/** The image (pixels or bytes) is over the limit the step is sized for. */
export class ImageTooLarge extends namedError('ImageTooLarge') {}

/** Some records of an S3 event could not be started; Lambda's async retry redelivers the event. */
export class StartExecutionFailed extends namedError('StartExecutionFailed') {}

/** The `name` of an SDK (or any) error, for matching service errors without importing their classes. */
export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** A short, single-line reason from any thrown value, for embedding in a sentence. */
export function errorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // libvips repeats a line once per pass over the image ("vipspng: libpng read error" twice): keep one.
  const lines = [...new Set(message.split('\n').map((line) => line.replace(/\s+/g, ' ').trim()))].filter(
    Boolean,
  );
  return lines.join(' ') || 'no details';
}

/**
 * A step's result is too large to hand to the next state (Step Functions takes at most 256 KiB,
 * and an oversized output fails the execution outside every Catch). Deterministic: not retried.
 */
export class PayloadTooLarge extends namedError('PayloadTooLarge') {}

/** Node's and the SDK's words for a connection that could not be made or was lost. */
export const NETWORK_FAILURE =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|ENETUNREACH)\b|socket hang up/;

/** ServiceUnreachable's name, for the state machine's retriers (lib/image-processing.ts). */
export const SERVICE_UNREACHABLE = 'ServiceUnreachable';

/**
 * A service a step calls (DynamoDB, S3, Rekognition) could not be reached: the connection was
 * refused, reset or timed out, and the SDK's own quick retries ran out. Transient by nature, so the
 * state machine retries the step under this name (a bare Node error is called just "Error", which
 * no retrier could tell from a bug). The message stays the original one: the sentence around it is
 * written where the photo's reason is (record-photo's failureReason).
 */
export class ServiceUnreachable extends namedError(SERVICE_UNREACHABLE) {}

/** The same error, renamed ServiceUnreachable when it is a connection failure; anything else as it is. */
export function classifyNetworkFailure(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof ServiceUnreachable) return error;
  const code = (error as { code?: unknown }).code;
  const network =
    error.name === 'TimeoutError' || // the SDK's socket and connection timeouts
    (typeof code === 'string' && NETWORK_FAILURE.test(code)) ||
    NETWORK_FAILURE.test(error.message);
  return network ? new ServiceUnreachable(errorReason(error), { cause: error }) : error;
}

/** DynamoDB refused a conditional write: the SDK's class or, across bundles, its name. */
export function isConditionFailed(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

/**
 * Awaits a conditional DynamoDB write: true when it was written, false when DynamoDB refused it
 * because its condition did not hold (the answer the condition is there to give); any other error is
 * thrown.
 */
export async function conditionalWrite(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/**
 * The message of a failed step's Cause: on AWS, Lambda's JSON (`{"errorType","errorMessage",...}`),
 * locally and for Step Functions' own errors, plain text. Empty when there is none.
 */
export function stepErrorMessage(cause: unknown): string {
  if (typeof cause !== 'string') return '';
  const trimmed = cause.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as { errorMessage?: unknown };
      if (typeof parsed.errorMessage === 'string') return parsed.errorMessage.trim();
    } catch {
      // Not JSON after all: the text as it is.
    }
  }
  return trimmed;
}
