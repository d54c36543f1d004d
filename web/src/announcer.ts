/**
 * One polite aria-live region for the whole app. Messages that arrive together are read as one, so a
 * burst of status changes is not a burst of interruptions.
 */
let region: HTMLElement | null = null;
let pending: string[] = [];
let timer: number | undefined;

export function mountAnnouncer(element: HTMLElement): void {
  region = element;
}

export function announce(message: string): void {
  pending.push(message);
  if (timer !== undefined) return;
  timer = window.setTimeout(() => {
    timer = undefined;
    if (!region) return;
    const text = pending.join(' ');
    pending = [];
    // Clearing first makes a repeated identical message announced again.
    region.textContent = '';
    window.setTimeout(() => {
      if (region) region.textContent = text;
    }, 50);
  }, 250);
}
