import { describe, expect, it } from 'vitest';
import { cycle, isLargeEnough, isPhotoFixture } from '../../bench/photos';
import { evaluateTargets, percentile, perSecond, ratio } from '../../bench/stats';

describe('percentile', () => {
  it('interpolates between the closest ranks', () => {
    // Prepare
    const values = [40, 10, 30, 20];

    // Act & Assess
    expect(percentile(values, 0)).toBe(10);
    expect(percentile(values, 50)).toBe(25);
    expect(percentile(values, 100)).toBe(40);
    expect(percentile([10, 20, 30, 40, 50], 95)).toBeCloseTo(48);
  });

  it('is NaN for no values', () => {
    expect(percentile([], 50)).toBeNaN();
  });

  it('fails when the percentile is out of 0-100', () => {
    expect(() => percentile([1], 101)).toThrow(/from 0 to 100/);
  });
});

describe('rates and ratios', () => {
  it('turns a count over milliseconds into a rate per second', () => {
    expect(perSecond(50, 2000)).toBe(25);
    expect(perSecond(1, 0)).toBeNaN();
  });

  it('is NaN against a missing or zero baseline', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(Number.NaN, 2)).toBeNaN();
  });
});

describe('evaluateTargets', () => {
  const measured = { rawSharp: 100, recognizerOne: 4, recognizerN: 7.6, burst: 6 };

  it('passes each target its ratio reaches', () => {
    // Act
    const targets = evaluateTargets(measured, 2);

    // Assess
    expect(targets.map((t) => [t.id, t.ratio, t.pass])).toEqual([
      ['recognizer-scaling', 1.9, true],
      ['burst-vs-sharp', 0.06, true],
      ['burst-vs-recognizer', 6 / 7.6, true],
    ]);
    expect(targets[0].label).toBe('Recognizer: 2 in flight / 1 in flight');
  });

  it('fails each target its ratio misses', () => {
    const targets = evaluateTargets({ ...measured, recognizerN: 6, burst: 4 }, 2);

    expect(targets.map((t) => [t.id, t.pass])).toEqual([
      ['recognizer-scaling', false],
      ['burst-vs-sharp', false],
      ['burst-vs-recognizer', false],
    ]);
  });

  it('fails a target whose baseline was not measured', () => {
    const targets = evaluateTargets({ ...measured, rawSharp: Number.NaN }, 2);

    expect(targets.find((t) => t.id === 'burst-vs-sharp')?.pass).toBe(false);
  });
});

describe('photo selection', () => {
  it('takes the JPEG and PNG photos and the JPEG with broken EXIF', () => {
    expect(isPhotoFixture('photos/cat.jpg')).toBe(true);
    expect(isPhotoFixture('photos/coffee.png')).toBe(true);
    expect(isPhotoFixture('exif/canon-40d.jpg')).toBe(true);
    expect(isPhotoFixture('orientation/landscape-6.jpg')).toBe(true);
    expect(isPhotoFixture('broken/invalid-exif-00971.jpg')).toBe(true);
  });

  it('leaves out other formats, non-images and undecodable PNGs', () => {
    expect(isPhotoFixture('formats/kimono.avif')).toBe(false);
    expect(isPhotoFixture('unsupported/arbitro.tiff')).toBe(false);
    expect(isPhotoFixture('not-images/spreadsheet-named.heic')).toBe(false);
    expect(isPhotoFixture('broken/png-badcrc.png')).toBe(false);
    expect(isPhotoFixture('photos/notes.txt')).toBe(false);
  });

  it('leaves out photos Rekognition refuses for their size', () => {
    expect(isLargeEnough({ format: 'jpeg', width: 100, height: 80 })).toBe(true);
    expect(isLargeEnough({ format: 'png', width: 32, height: 32 })).toBe(false);
    expect(isLargeEnough({ format: 'jpeg', width: 640, height: 79 })).toBe(false);
    expect(isLargeEnough({ format: 'webp', width: 640, height: 480 })).toBe(false);
  });

  it('cycles the set to the number of uploads', () => {
    expect(cycle(['a', 'b', 'c'], 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
    expect(() => cycle([], 3)).toThrow(/empty/);
  });
});
