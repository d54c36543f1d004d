/** The gallery's renderers: a card's elements and words, the summary line and the announcements. */
import { beforeAll, describe, expect, it } from 'vitest';
import * as card from '../../web/src/gallery-card';
import { finishedAnnouncement, summaryText } from '../../web/src/gallery-parts';
import { fake, summary, useFakeDom } from './web-fixtures';

beforeAll(useFakeDom);

const labels = (...names: string[]) => names.map((name) => ({ name, confidence: 90 }));

describe('a card', () => {
  it('links to the photo with what the browser tests look for', () => {
    const { link, thumb } = card.cardElements(summary({ status: 'PROCESSING' }));

    expect(fake(link).getAttribute('href')).toBe('#/photos/p1');
    expect(fake(link).getAttribute('data-testid')).toBe('photo-card');
    expect(fake(link).getAttribute('data-photo-id')).toBe('p1');
    expect(fake(link).getAttribute('data-status')).toBe('processing');
    expect(fake(link).getAttribute('data-thumbnail')).toBe('none');
    expect(fake(thumb).querySelector('.thumb-placeholder')).not.toBeNull();
  });

  it('shows the reason of a rejected photo, and drops it when the photo is processed again', () => {
    const elements = card.cardElements(summary());
    const reason = () => fake(elements.body).querySelector('[data-testid=photo-reason]');

    card.updateCardText(elements, summary({ status: 'REJECTED', reason: 'Not an image' }), undefined);
    expect(fake(elements.link).getAttribute('data-status')).toBe('rejected');
    expect(reason()?.textContent).toBe('Not an image');
    card.updateCardText(elements, summary({ status: 'PROCESSING', labels: [] }), 'cat.jpg');

    expect(reason()).toBeNull();
    expect(fake(elements.title).textContent).toBe('cat.jpg');
    expect(fake(elements.title).getAttribute('title')).toBe('cat.jpg');
    expect(fake(elements.badge).getAttribute('data-status')).toBe('PROCESSING');
  });

  it('is titled by three labels, else the file, else what its status says', () => {
    expect(card.cardTitle(summary({ labels: labels('Cat', 'Pet', 'Animal', 'Mammal') }), 'cat.jpg')).toBe(
      'Cat, Pet, Animal',
    );
    expect(card.cardTitle(summary(), 'cat.jpg')).toBe('cat.jpg');
    expect(card.cardTitle(summary({ status: 'PROCESSING' }), undefined)).toBe('Processing…');
    expect(card.cardTitle(summary({ status: 'READY' }), undefined)).toBe('No labels');
    expect(card.cardTitle(summary({ status: 'FAILED' }), undefined)).toBe('Photo');
  });

  it('describes its thumbnail by up to five labels, else which photo it is', () => {
    expect(card.cardAlt(summary({ labels: labels('A', 'B', 'C', 'D', 'E', 'F') }), undefined)).toBe(
      'Photo: A, B, C, D, E',
    );
    expect(card.cardAlt(summary(), 'cat.jpg')).toBe('Photo cat.jpg');
    expect(card.cardAlt(summary(), undefined)).toBe('Photo p1');
  });

  it('shows the format before the upload time, when it is known', () => {
    expect(card.cardMeta(summary())).toMatch(/^JPEG · /);
    expect(card.cardMeta(summary({ metadata: { ...summary().metadata, format: null } }))).not.toContain('·');
  });

  it('gives the reason of a rejected or failed photo only', () => {
    expect(card.cardReason(summary({ status: 'REJECTED', reason: 'Not an image' }))).toBe('Not an image');
    expect(card.cardReason(summary({ status: 'FAILED', reason: null }))).toBeNull();
    expect(card.cardReason(summary({ status: 'READY', reason: 'No labels: nothing found' }))).toBeNull();
  });

  it('knows its thumbnail by key, not by the URL that changes on every answer', () => {
    expect(card.thumbnailIdentity(summary())).toBe('Thumbnails/alice/p1.jpg');
    expect(card.thumbnailIdentity(summary({ thumbnail: null, thumbnailUrl: 'https://s3/t.jpg?sig=2' }))).toBe(
      'https://s3/t.jpg',
    );
    expect(card.thumbnailIdentity(summary({ thumbnail: null, thumbnailUrl: null }))).toBeNull();
  });
});

describe('the summary line', () => {
  const state = { loadedOnce: true, count: 2, more: false, processing: 0, label: null };

  it.each([
    [{ ...state, loadedOnce: false }, 'Loading photos…'],
    [{ ...state, count: 0 }, 'No photos yet: upload some above.'],
    [{ ...state, count: 0, label: 'Cat' }, 'No photos labelled “Cat”.'],
    [{ ...state, count: 1 }, '1 photo'],
    [{ ...state, more: true, processing: 1, label: 'Cat' }, '2+ photos labelled “Cat” · 1 processing'],
  ])('%j reads %j', (given, expected) => {
    expect(summaryText(given)).toBe(expected);
  });
});

describe('the announcement when a photo finishes', () => {
  it('names the file and says how it ended', () => {
    expect(finishedAnnouncement(summary(), 'cat.jpg')).toBe('cat.jpg is ready.');
    expect(finishedAnnouncement(summary({ status: 'REJECTED', reason: 'Not an image' }), undefined)).toBe(
      'A photo was rejected: Not an image',
    );
    expect(finishedAnnouncement(summary({ status: 'FAILED' }), 'x.jpg')).toBe('x.jpg failed.');
    expect(finishedAnnouncement(summary({ status: 'PROCESSING' }), 'x.jpg')).toBeNull();
  });
});
