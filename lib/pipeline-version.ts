import { createHash } from 'node:crypto';
import type { PipelineConfig } from './config';

/**
 * Bumped by hand when a handler changes what it makes of the same photo and settings (a new
 * thumbnail encoder setting, a new label mapping): photos made before are then out of date too.
 */
export const PIPELINE_CODE_REVISION = 1;

/**
 * The version of the outputs the pipeline makes: a digest of the settings that change them (the
 * formats accepted, the thumbnail box, the display rendition's size, the pixel limit, the label settings) and of the code revision.
 * Stored on every READY and REJECTED record; `npm run reprocess` skips the photos that already carry
 * the current one, and a byte-identical upload reuses only labels made under it. Settings that do
 * not change outputs (memory, timeouts, throttles) are left out on purpose: changing them must not
 * make a whole library "out of date".
 */
export function pipelineVersion(config: PipelineConfig): string {
  const inputs = {
    revision: PIPELINE_CODE_REVISION,
    supportedFormats: [...config.supportedFormats].sort(),
    thumbnail: { maxWidth: config.thumbnail.maxWidth, maxHeight: config.thumbnail.maxHeight },
    rendition: { maxSide: config.rendition.maxSide },
    maxImagePixels: config.maxImagePixels,
    labels: { maxLabels: config.labels.maxLabels, minConfidence: config.labels.minConfidence },
  };
  const digest = createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
  return `r${PIPELINE_CODE_REVISION}-${digest.slice(0, 12)}`;
}
