import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeEvent } from '../../web/dev-mock/fake-dom';
import { h } from '../../web/src/dom';
import { FallbackImage, type ImageChoice, type ImageState } from '../../web/src/fallback-image';
import { fake, useFakeDom } from './web-fixtures';

beforeAll(useFakeDom);

const choice = (url: string, caption?: string): ImageChoice => ({
  url,
  attrs: { alt: `image ${url}`, 'data-source': url },
  caption: caption ? h('figcaption', {}, caption) : null,
});
const placeholder = () => h('div', { class: 'ph' }, 'none');
const fire = (img: HTMLImageElement | null, type: 'load' | 'error') =>
  fake(img).dispatchEvent(new FakeEvent(type));
const tags = (element: HTMLElement) => fake(element).children.map((child) => child.tagName);

describe('FallbackImage', () => {
  it('shows a choice with its caption, the src set last', () => {
    const figure = h('figure');
    const image = new FallbackImage(figure, { next: () => null, placeholder });

    image.show(choice('a', 'A caption'));

    expect(tags(figure)).toEqual(['img', 'figcaption']);
    expect(image.img?.getAttribute('src')).toBe('a');
    expect(image.img?.getAttribute('alt')).toBe('image a');
    expect(image.img?.getAttribute('decoding')).toBe('async');
  });

  it('tries what next() gives when an image fails, then the placeholder when nothing is left', () => {
    const figure = h('figure');
    const queue = [choice('b')];
    const next = vi.fn(() => queue.shift() ?? null);
    const states: ImageState[] = [];
    const image = new FallbackImage(figure, { next, placeholder, onState: (state) => states.push(state) });

    image.show(choice('a'));
    fire(image.img, 'error');
    expect(image.img?.getAttribute('src')).toBe('b');
    expect(next).toHaveBeenLastCalledWith(expect.objectContaining({ url: 'a' }));
    fire(image.img, 'error');

    expect(image.img).toBeNull();
    expect(fake(figure).textContent).toBe('none');
    expect(tags(figure)).toEqual(['div']);
    expect(states).toEqual(['loading', 'loading', 'none']);
  });

  it('ignores the events of an image it has replaced since', () => {
    const figure = h('figure');
    const next = vi.fn(() => null);
    const image = new FallbackImage(figure, { next, placeholder });
    image.show(choice('a'));
    const stale = image.img;

    image.show(choice('b'));
    fire(stale, 'error');

    expect(next).not.toHaveBeenCalled();
    expect(image.img?.getAttribute('src')).toBe('b');
  });

  it('with swapWhenLoaded, keeps the placeholder until the image has loaded', () => {
    const thumb = h('div', {}, placeholder());
    const states: ImageState[] = [];
    const image = new FallbackImage(thumb, {
      next: () => null,
      placeholder,
      swapWhenLoaded: true,
      onState: (state) => states.push(state),
    });

    image.show(choice('a'));
    expect(tags(thumb)).toEqual(['div', 'img']);
    fire(image.img, 'load');

    expect(tags(thumb)).toEqual(['img']);
    expect(states).toEqual(['loading', 'loaded']);
  });

  it('with swapWhenLoaded, a failed image leaves the placeholder it was waiting behind', () => {
    const shown = placeholder();
    const thumb = h('div', {}, shown);
    const image = new FallbackImage(thumb, { next: () => null, placeholder, swapWhenLoaded: true });

    image.show(choice('a'));
    fire(image.img, 'error');

    expect(fake(thumb).children).toEqual([fake(shown)]);
  });

  it('keeps a placeholder that says the same, and replaces one that says something else', () => {
    let text = 'first';
    const figure = h('figure');
    const image = new FallbackImage(figure, {
      next: () => null,
      placeholder: () => h('p', { class: 'ph' }, text),
    });

    image.showPlaceholder();
    const first = fake(figure).children[0];
    image.showPlaceholder();
    expect(fake(figure).children[0]).toBe(first);

    text = 'second';
    image.showPlaceholder();
    expect(fake(figure).textContent).toBe('second');
  });
});
