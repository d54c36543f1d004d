/**
 * A picture that may be missing, the one way the app shows one (gallery cards, the photo view): an
 * image that cannot be loaded gives way to the next one worth trying, and a placeholder stands in
 * when none is left. Presigned URLs expire and browsers cannot show every format, so any image may
 * fail; what to try next is asked for only then, from the freshest data.
 */
import { h, type Props } from './dom';

/** One image to try. */
export interface ImageChoice {
  readonly url: string;
  /** The img's attributes besides src: alt, data-source, width and height (to reserve the space). */
  readonly attrs: Props;
  /** Shown after the image (a figcaption); none by default. */
  readonly caption?: Node | null;
}

/** loading: an image is on its way; loaded: it shows; none: the placeholder shows. */
export type ImageState = 'loading' | 'loaded' | 'none';

export interface FallbackImageOptions {
  /** What to try after `failed` could not be loaded; null when nothing is left (the placeholder shows). */
  readonly next: (failed: ImageChoice) => ImageChoice | null;
  /** What stands in for a missing image. */
  readonly placeholder: () => HTMLElement;
  /**
   * Keep what the container shows (its placeholder) until the new image has loaded, instead of
   * replacing it at once: a grid of thumbnails does not flash empty boxes.
   * @default false
   */
  readonly swapWhenLoaded?: boolean;
  /** Told each time the state changes, with the image concerned (null for none). */
  readonly onState?: (state: ImageState, img: HTMLImageElement | null) => void;
}

export class FallbackImage {
  private current: HTMLImageElement | null = null;

  constructor(
    readonly container: HTMLElement,
    private readonly options: FallbackImageOptions,
  ) {}

  /** The image being shown or loaded; null while the placeholder shows. */
  get img(): HTMLImageElement | null {
    return this.current;
  }

  show(choice: ImageChoice): void {
    const img = h('img', { decoding: 'async', ...choice.attrs });
    // Events of an image that was replaced since are stale: only the current one counts.
    img.addEventListener('load', () => {
      if (this.current !== img) return;
      if (this.options.swapWhenLoaded) {
        for (const child of Array.from(this.container.children)) if (child !== img) child.remove();
      }
      this.options.onState?.('loaded', img);
    });
    img.addEventListener('error', () => {
      if (this.current !== img) return;
      const next = this.options.next(choice);
      if (next) this.show(next);
      else this.showPlaceholder();
    });
    if (this.options.swapWhenLoaded) {
      this.current?.remove();
      this.container.append(img);
    } else {
      this.container.replaceChildren(img, choice.caption ?? '');
    }
    this.current = img;
    this.options.onState?.('loading', img);
    // Last: the listeners are in place before the browser can answer.
    img.src = choice.url;
  }

  /** The placeholder alone; one already showing with the same text is kept (no flicker, no re-read). */
  showPlaceholder(): void {
    this.current = null;
    const placeholder = this.options.placeholder();
    const shown = Array.from(this.container.children).find(
      (child) => child.className === placeholder.className && child.textContent === placeholder.textContent,
    );
    if (shown) {
      for (const child of Array.from(this.container.children)) if (child !== shown) child.remove();
    } else {
      this.container.replaceChildren(placeholder);
    }
    this.options.onState?.('none', null);
  }
}
