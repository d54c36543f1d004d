/**
 * Errors of the local Rekognition endpoint, named and worded as the real service answers them, so the
 * unchanged SDK client throws an exception with the same `name` (and mostly the same message) as on AWS.
 */

export type RekognitionErrorType =
  | 'ImageTooLargeException'
  | 'InternalServerError'
  | 'InvalidImageFormatException'
  | 'InvalidParameterException'
  | 'InvalidS3ObjectException'
  | 'ProvisionedThroughputExceededException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'ValidationException';

export class RekognitionError extends Error {
  public readonly type: RekognitionErrorType;
  public readonly statusCode: number;

  constructor(type: RekognitionErrorType, message: string, statusCode = 400) {
    super(message);
    this.name = type;
    this.type = type;
    this.statusCode = statusCode;
  }
}

/** Not JPEG or PNG, or pixel data that does not decode. Rekognition's own wording. */
export function invalidImageFormat(): RekognitionError {
  return new RekognitionError('InvalidImageFormatException', 'Request has invalid image format');
}

/** Rekognition's catch-all for a request it cannot use (including images under 80 px a side). */
export function invalidParameters(): RekognitionError {
  return new RekognitionError('InvalidParameterException', 'Request has invalid parameters');
}

/** The Coral-style message AWS JSON services give for a violated input constraint. */
export function validationError(value: string, path: string, constraint: string): RekognitionError {
  return new RekognitionError(
    'ValidationException',
    `1 validation error detected: Value ${value} at '${path}' failed to satisfy constraint: ${constraint}`,
  );
}

export function serializationError(detail: string): RekognitionError {
  return new RekognitionError('SerializationException', detail);
}

export function invalidS3Object(detail: string): RekognitionError {
  return new RekognitionError(
    'InvalidS3ObjectException',
    `Unable to get object metadata from S3. Check object key, region and/or access permissions. (${detail})`,
  );
}

export function provisionedThroughputExceeded(): RekognitionError {
  return new RekognitionError('ProvisionedThroughputExceededException', 'Provisioned Rate exceeded');
}

export function unknownOperation(target: string | undefined): RekognitionError {
  return new RekognitionError(
    'UnknownOperationException',
    target
      ? `Unknown operation ${target}`
      : 'Missing X-Amz-Target header: expected RekognitionService.<Operation>',
  );
}

export function internalServerError(detail: string): RekognitionError {
  return new RekognitionError('InternalServerError', `Internal server error: ${detail}`, 500);
}
