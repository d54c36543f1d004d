import { PayloadTooLarge } from './errors';

/**
 * Size bounds on what the pipeline copies out of an upload. Whatever a file holds (a 1,000,000
 * character EXIF Make, say) must not travel as a state's output (Step Functions: at most 256 KiB, and
 * `States.DataLimitExceeded` is not caught by `States.ALL`) nor land in a record (DynamoDB: 400 KB).
 */

/** Longest text field taken from a file's metadata (EXIF make, model, ...). */
export const MAX_TEXT_LENGTH = 256;

/**
 * Budget for one step's result as JSON, far below Step Functions' 256 KiB so that a state's output
 * (its input plus the result) and the record built from it stay small too.
 */
export const MAX_STEP_RESULT_BYTES = 64 * 1024;

// C0 controls, DEL and C1 controls; lone UTF-16 surrogates, which are not valid UTF-8.
const CONTROL_CHARACTERS = /\p{Cc}+/gu;
const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A text field from untrusted metadata, fit to store and show: NULs (padding, common in EXIF) removed,
 * other control characters made spaces, trimmed, and at most `maxLength` characters (cut ones end
 * with "…"). Null for anything that is not a string (blobs, numbers) or nothing once cleaned.
 */
export function boundedText(value: unknown, maxLength = MAX_TEXT_LENGTH): string | null {
  if (typeof value !== 'string') return null;
  // Cleaning never lengthens the text, so a prefix long enough to fill maxLength after trimming is
  // all that needs cleaning: the rest of a huge string is never scanned.
  const prefix = value.length > maxLength * 4 ? value.slice(0, maxLength * 4) : value;
  const cleaned = prefix
    .replace(/\0/g, '')
    .replace(CONTROL_CHARACTERS, ' ')
    .replace(LONE_SURROGATES, '')
    .trim();
  if (cleaned === '') return null;
  if (cleaned.length <= maxLength && prefix.length === value.length) return cleaned;
  // Cut on a code point boundary: a high surrogate left at the end would be a lone one.
  const cut = cleaned.slice(0, maxLength - 1).replace(/[\ud800-\udbff]$/, '');
  return `${cut.trimEnd()}…`;
}

/**
 * Returns `result` when its JSON fits `maxBytes` (UTF-8); otherwise throws PayloadTooLarge, which the
 * state machine catches and records as FAILED with this message. Every function whose result a
 * state carries on returns through this.
 */
export function boundedResult<T>(result: T, step: string, maxBytes = MAX_STEP_RESULT_BYTES): T {
  const bytes = Buffer.byteLength(JSON.stringify(result) ?? '', 'utf8');
  if (bytes > maxBytes) {
    throw new PayloadTooLarge(
      `${step} produced ${formatKiB(bytes)} of data about this photo, more than the ${formatKiB(maxBytes)} a step may pass on (Step Functions carries at most 256 KiB between steps), so the photo cannot be processed.`,
    );
  }
  return result;
}

function formatKiB(bytes: number): string {
  return `${(bytes / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} KiB`;
}
