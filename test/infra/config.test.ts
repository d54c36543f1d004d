import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../../lib/config';

describe('resolveConfig', () => {
  it('returns the defaults when nothing is overridden', () => {
    expect(resolveConfig()).toEqual(DEFAULT_CONFIG);
  });

  it('merges nested overrides over the defaults', () => {
    const config = resolveConfig({
      thumbnail: { maxWidth: 400 },
      functions: { detectLabels: { memoryMb: 512 } },
    });
    expect(config.thumbnail).toEqual({ maxWidth: 400, maxHeight: 250 });
    expect(config.functions.detectLabels).toEqual({ memoryMb: 512, timeoutSeconds: 60 });
    expect(config.functions.extractMetadata).toEqual(DEFAULT_CONFIG.functions.extractMetadata);
  });

  it('accepts the formats phones and browsers produce by default, and not GIF', () => {
    expect(resolveConfig().supportedFormats).toEqual(['jpeg', 'png', 'heif', 'avif', 'webp', 'tiff']);
  });

  it.each([128, 20_000, 1024.5])('fails when rendition.maxSide is %s', (maxSide) => {
    expect(() => resolveConfig({ rendition: { maxSide } })).toThrow(
      `rendition.maxSide must be a whole number of pixels from 256 to 10000 (Rekognition's largest side), got ${maxSide}`,
    );
  });

  it('replaces lists rather than merging them', () => {
    expect(resolveConfig({ supportedFormats: ['webp'] }).supportedFormats).toEqual(['webp']);
  });

  it('fails when a setting is unknown, naming it', () => {
    expect(() => resolveConfig({ thumbnail: { maxWidht: 10 } } as never)).toThrow(
      /unknown setting\(s\) maxWidht/,
    );
  });

  it('fails when values are out of range, listing every problem', () => {
    expect(() =>
      resolveConfig({
        supportedFormats: ['bmp' as never],
        labels: { minConfidence: 120 },
        logRetentionDays: 10,
      }),
    ).toThrow(
      /supportedFormats: "bmp" is not one of[\s\S]*minConfidence must be a number from 0 to 100[\s\S]*logRetentionDays/,
    );
  });

  it('fails when the workflow type is neither STANDARD nor EXPRESS', () => {
    expect(() => resolveConfig({ workflowType: 'FAST' as never })).toThrow(
      /workflowType "FAST" must be STANDARD or EXPRESS/,
    );
  });
});
