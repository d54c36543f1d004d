import { InvalidInput } from './errors';
import type { ImageMetadata, PhotoRef, Rendition } from './model';

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

/**
 * A step's `rendition` field (GenerateRendition's result): the rendition, or null when the photo has
 * none. Absent counts as null: executions started before renditions existed pass none.
 */
export function renditionOf(event: unknown): Rendition | null {
  const value = isObject(event) ? event.rendition : undefined;
  if (value === undefined || value === null) return null;
  const ok =
    isObject(value) &&
    typeof value.key === 'string' &&
    value.key !== '' &&
    typeof value.width === 'number' &&
    typeof value.height === 'number' &&
    (value.format === 'jpeg' || value.format === 'png') &&
    typeof value.sizeBytes === 'number';
  if (!ok) {
    throw new InvalidInput(
      `The event's rendition must be null or a Rendition { key, width, height, format, sizeBytes, reason }, got ${describe(value)}.`,
    );
  }
  return value as unknown as Rendition;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short rendering of a bad input for an error message. */
export function describe(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 200 ? `${json.slice(0, 200)}…` : json;
}
