/** The photo view's renderers: its picture, its sections and its timeline, from the API's answer alone. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { TimelineStep } from '../../lambda/shared/api';
import { imageChoice, imageSources, placeholderText } from '../../web/src/photo-image';
import { photoTitle } from '../../web/src/photo-layout';
import { renderExif, renderFacts, renderLabels } from '../../web/src/photo-sections';
import { errorCell, renderTimeline } from '../../web/src/photo-timeline';
import { detail, fake, useFakeDom } from './web-fixtures';

beforeAll(useFakeDom);

const sources = (d: ReturnType<typeof detail>) => imageSources(d).map((s) => s.source);
const text = (nodes: Node[]) => nodes.map((node) => fake(node).textContent).join('|');

describe('the picture', () => {
  it('prefers the display rendition, then an original browsers show, then the thumbnail', () => {
    const urls = { thumbnail: 't', rendition: 'r', original: 'o' };
    expect(sources(detail({ urls }))).toEqual(['rendition', 'original', 'thumbnail']);
    const heic = detail({ urls: { ...urls, rendition: null } });
    heic.metadata.format = 'heif';
    expect(sources(heic)).toEqual(['thumbnail']);
    const unread = detail({ urls: { thumbnail: null, rendition: null, original: 'o' } });
    unread.metadata.format = null;
    expect(sources(unread)).toEqual([]);
  });

  it("reserves the rendition's own size for it, and none for a thumbnail", () => {
    const d = detail({
      urls: { thumbnail: 't', rendition: 'r', original: 'o' },
      rendition: { key: 'R', width: 2048, height: 1536, format: 'jpeg', reason: 'The image is large' },
    });

    const rendition = imageChoice(d, 'rendition', 'r');
    expect(rendition.attrs).toMatchObject({ 'data-source': 'rendition', width: 2048, height: 1536 });
    expect(fake(rendition.caption).getAttribute('data-testid')).toBe('rendition-caption');
    expect(fake(rendition.caption).textContent).toMatch(
      /^Display copy, 2048 × 1536 px JPEG, upright .*The image is large\.$/,
    );

    const thumbnail = imageChoice(d, 'thumbnail', 't');
    expect(thumbnail.attrs).not.toHaveProperty('width');
    expect(fake(thumbnail.caption).textContent).toBe('Thumbnail: the original cannot be shown here');

    expect(imageChoice(d, 'original', 'o')).toMatchObject({
      attrs: { width: 600, height: 400 },
      caption: null,
    });
  });

  it('says why there is no picture', () => {
    const tiff = (status: 'PROCESSING' | 'REJECTED') => {
      const d = detail({ status });
      d.metadata.format = 'tiff';
      return placeholderText(d);
    };
    expect(tiff('PROCESSING')).toBe(
      'Browsers cannot show TIFF files; a display copy will appear here when it is ready.',
    );
    expect(tiff('REJECTED')).toBe(
      'Browsers cannot show TIFF files, and there is no display copy or thumbnail.',
    );
    const unread = detail({ status: 'FAILED' });
    unread.metadata.format = null;
    expect(placeholderText(unread)).toBe('No preview: the file could not be read as an image.');
    expect(placeholderText(detail())).toBe('This browser could not show the image.');
  });
});

describe('the sections', () => {
  it('titles the photo by its file, else three labels, else "Photo"', () => {
    const labels = ['Cat', 'Pet', 'Animal', 'Mammal'].map((name) => ({ name, confidence: 90 }));
    expect(photoTitle('cat.jpg', labels)).toBe('cat.jpg');
    expect(photoTitle(undefined, labels)).toBe('Cat, Pet, Animal');
    expect(photoTitle(undefined, [])).toBe('Photo');
  });

  it('lists labels most confident first, each bar within 0 to 100%', () => {
    const [list] = renderLabels(
      detail({
        labels: [
          { name: 'Pet', confidence: 80 },
          { name: 'Cat', confidence: 140 },
        ],
      }),
    );
    const rows = fake(list).querySelectorAll('.label-row');
    expect(rows.map((row) => row.getAttribute('data-label'))).toEqual(['Cat', 'Pet']);
    expect(fake(list).querySelector('.bar-fill')?.style.width).toBe('100%');
  });

  it.each([
    ['PROCESSING', null, 'Labels appear when processing finishes.'],
    ['READY', null, 'No labels were found.'],
    ['READY', 'Rekognition found nothing', 'No labels: Rekognition found nothing'],
    ['FAILED', 'Corrupt', 'No labels: the photo was not analysed.'],
  ] as const)('says why a %s photo (reason %j) has no labels', (status, reason, expected) => {
    const nodes = renderLabels(detail({ status, reason, labels: [] }));
    expect(fake(nodes[1]).textContent).toBe(expected);
  });

  it('shows the camera once, the place with a map link, and the orientation only when it turns the image', () => {
    const d = detail();
    Object.assign(d.metadata, {
      make: 'Canon',
      model: 'Canon EOS 40D',
      gps: { latitude: 52.37403, longitude: 4.88969, altitude: 12.4 },
      orientation: 6,
    });
    const [list] = renderExif(d.metadata);
    const field = (key: string) => fake(list).querySelector(`[data-field=${key}]`)?.textContent;

    expect(field('camera')).toBe('Canon EOS 40D');
    expect(field('gps')).toContain('52.374030, 4.889690');
    expect(fake(list).querySelector('.gps-link')?.getAttribute('rel')).toBe('noopener noreferrer');
    expect(field('altitude')).toBe('12 m');
    expect(field('orientation')).toBe('6');
    expect(
      fake(renderExif({ ...d.metadata, gps: null, orientation: 1 })[0]).querySelector(
        '[data-field=orientation]',
      ),
    ).toBeNull();
  });

  it('puts the file first and adds attempts and the photo it duplicates', () => {
    const nodes = renderFacts(detail({ attempts: 3, duplicateOf: 'p0' }), 'cat.jpg');

    expect(fake(nodes[0]).textContent).toBe('File');
    expect(text(nodes)).toContain('Attempts|3');
    const duplicate = nodes.map(fake).find((node) => node.getAttribute('data-testid') === 'duplicate-of');
    expect(duplicate?.querySelector('a')?.getAttribute('href')).toBe('#/photos/p0');
  });
});

describe('the timeline', () => {
  const step = (name: string, startedAt: string, extra: Partial<TimelineStep> = {}): TimelineStep => ({
    name,
    type: 'Task',
    startedAt,
    endedAt: startedAt,
    durationMs: 120,
    outcome: 'SUCCEEDED',
    attempts: 1,
    error: null,
    cause: null,
    ...extra,
  });

  it('has one row per step, in the order the steps started', () => {
    const [scroll] = renderTimeline([
      step('StoreImageMetadata', '2025-01-01T00:00:02Z'),
      step('ExtractImageMetadata', '2025-01-01T00:00:01Z', { outcome: 'RUNNING', durationMs: null }),
    ]);
    const rows = fake(scroll).querySelectorAll('tbody tr');

    expect(rows.map((row) => row.getAttribute('data-state'))).toEqual([
      'ExtractImageMetadata',
      'StoreImageMetadata',
    ]);
    expect(rows[0].getAttribute('data-outcome')).toBe('running');
    expect(rows[0].textContent).toContain('running…');
    expect(fake(scroll).querySelectorAll('thead th')).toHaveLength(7);
  });

  it('says so when there is no history, across every column', () => {
    const cell = fake(renderTimeline([])[0]).querySelector('tbody td');
    expect(cell?.getAttribute('colspan')).toBe('7');
    expect(cell?.textContent).toBe('No execution history is available for this photo.');
  });

  it("shows a short cause beside the error's name and folds a long one away", () => {
    expect(errorCell({ error: null, cause: null })).toBe('—');
    expect(errorCell({ error: 'States.Timeout', cause: null })).toBe('States.Timeout');
    expect(fake(errorCell({ error: 'CorruptImage', cause: 'bad pixels' })).textContent).toBe(
      'CorruptImage bad pixels',
    );
    const long = fake(errorCell({ error: 'CorruptImage', cause: 'x'.repeat(81) }));
    expect(long.tagName).toBe('details');
    expect(long.querySelector('summary')?.textContent).toBe('CorruptImage');
  });
});
