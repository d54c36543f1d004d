import { InvalidInput } from './errors';
import type { ImageMetadata, PhotoRef } from './model';

/** A non-empty string field of an event, or InvalidInput naming the field and the step's expected shape. */
export function stringField(event: unknown, field: string, expected: string): string {
  const value = isObject(event) ? event[field] : undefined;
  if (typeof value !== 'string' || value === '') {
    throw new InvalidInput(
      `The event has no ${field}: this function expects ${expected}, got ${describe(event)}.`,
    );
  }
  return value;
}

export function objectRef(event: unknown): { bucket: string; key: string } {
  const expected = '{ bucket, key }';
  return { bucket: stringField(event, 'bucket', expected), key: stringField(event, 'key', expected) };
}

export function photoRef(event: unknown): PhotoRef {
  const expected = 'a PhotoRef { bucket, key, owner, photoId }';
  return {
    bucket: stringField(event, 'bucket', expected),
    key: stringField(event, 'key', expected),
    owner: stringField(event, 'owner', expected),
    photoId: stringField(event, 'photoId', expected),
  };
}

/** An ImageMetadata as extract-metadata returns it; checks the fields later steps rely on. */
export function imageMetadata(value: unknown, where: string): ImageMetadata {
  const ok =
    isObject(value) &&
    typeof value.sizeBytes === 'number' &&
    (value.format === null || typeof value.format === 'string') &&
    (value.width === null || typeof value.width === 'number') &&
    (value.height === null || typeof value.height === 'number');
  if (!ok) {
    throw new InvalidInput(
      `${where} is not ImageMetadata (format, width, height, sizeBytes, ...): got ${describe(value)}.`,
    );
  }
  return value as unknown as ImageMetadata;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short rendering of a bad input for an error message. */
export function describe(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 200 ? `${json.slice(0, 200)}…` : json;
}
