/**
 * Amazon Rekognition's documented input limits for DetectLabels: only JPEG and PNG, at most 15 MB read
 * from S3 (inline Bytes: 5 MB), 80 px minimum and 10,000 px maximum per side. detect-labels sends
 * what fits them; generate-rendition makes a copy that fits them of any photo that does not.
 */
export const REKOGNITION_LIMITS = {
  formats: ['jpeg', 'png'],
  minSidePx: 80,
  maxSidePx: 10_000,
  maxBytes: 15 * 1024 * 1024,
} as const;
