/**
 * Start-up: read ./config.json, sign in (Cognito or the local user), then the gallery and photo views
 * behind hash routes, with one polling loop for whichever view is showing.
 */
import './styles.css';
import type { AppConfig } from '../../lambda/shared/web-config';
import { announce, mountAnnouncer } from './announcer';
import { ApiClient } from './api';
import { type Auth, type AuthState, CognitoAuth, LocalAuth } from './auth';
import { loadConfig } from './config';
import { h } from './dom';
import { Gallery } from './gallery';
import { PhotoView } from './photo-view';
import { GALLERY_HREF, parseRoute, type Route } from './router';
import { Uploads } from './uploads';

const POLL_INTERVAL_MS = 2000;
const APP_TITLE = 'Photo recognition';

interface Session {
  uploads: Uploads;
  gallery: Gallery;
  photoView: PhotoView;
  galleryView: HTMLElement;
}

class App {
  private session: Session | null = null;
  private route: Route = parseRoute(window.location.hash);
  /** The photo view was opened from the gallery in this page: Back can use history.back(). */
  private openedFromGallery = false;
  private lastOpenedPhotoId: string | null = null;
  private pollTimer: number | undefined;
  private polling = false;

  constructor(
    private readonly config: AppConfig,
    private readonly auth: Auth,
    private readonly api: ApiClient,
    private readonly root: HTMLElement,
    private readonly sessionArea: HTMLElement,
  ) {}

  async start(): Promise<void> {
    // init() may restore the route after Cognito's redirect: read it afterwards.
    const state = await this.auth.init();
    this.route = parseRoute(window.location.hash);
    this.renderAuth(state);
    this.auth.onChange((next) => this.renderAuth(next));
    window.addEventListener('hashchange', () => this.onRouteChange());
    document.addEventListener('keydown', (event) => this.onKeydown(event));
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.pollSoon(0);
    });
  }

  private renderAuth(state: AuthState): void {
    if (state.signedIn) {
      this.renderUser(state.user ?? 'unknown user');
      if (!this.session) this.startSession();
    } else {
      this.endSession();
      this.renderSignedOut(state.message);
    }
  }

  private renderUser(user: string): void {
    const label =
      this.config.mode === 'local' ? `Signed in as ${user} (local cloud)` : `Signed in as ${user}`;
    const signOut = h(
      'button',
      { type: 'button', class: 'button subtle', 'data-testid': 'sign-out' },
      'Sign out',
    );
    signOut.addEventListener('click', () => {
      announce('Signed out.');
      this.auth.signOut();
    });
    this.sessionArea.replaceChildren(
      h('span', { class: 'current-user', 'data-testid': 'current-user', title: label }, label),
      signOut,
    );
  }

  private renderSignedOut(message: string | null): void {
    this.sessionArea.replaceChildren();
    const signIn = h(
      'button',
      { type: 'button', class: 'button primary large', 'data-testid': 'sign-in' },
      'Sign in',
    );
    signIn.addEventListener('click', () => {
      signIn.disabled = true;
      this.auth.signIn().catch((error: unknown) => {
        signIn.disabled = false;
        announce(`Sign-in failed: ${(error as Error).message}`);
      });
    });
    const explanation =
      this.config.mode === 'local'
        ? 'You are signed out of the local cloud. Sign in again as the local user.'
        : 'Sign in with your account to upload photos and see their labels.';
    this.root.replaceChildren(
      h(
        'section',
        { class: 'panel signed-out', 'aria-labelledby': 'signed-out-heading', 'data-testid': 'signed-out' },
        h(
          'h2',
          { id: 'signed-out-heading' },
          this.config.mode === 'local' ? 'Signed out' : 'Sign in to continue',
        ),
        h('p', {}, explanation),
        message ? h('p', { class: 'notice', role: 'alert' }, message) : null,
        signIn,
      ),
    );
    document.title = APP_TITLE;
    signIn.focus();
  }

  private startSession(): void {
    const onSignedOut = () => {
      if (this.auth.state().signedIn)
        this.auth.expireSession('The API did not accept your session. Sign in again.');
    };
    let gallery: Gallery | null = null;
    const uploads = new Uploads(this.api, {
      onUploaded: (photoId) => {
        gallery?.expectPhoto(photoId);
        this.pollSoon(800);
      },
      onActivityChange: () => this.pollSoon(POLL_INTERVAL_MS),
      onSignedOut,
    });
    gallery = new Gallery(this.api, {
      fileNameFor: (photoId) => uploads.fileNameFor(photoId),
      uploadsActive: () => uploads.active(),
      photoUpdated: (photo) => uploads.photoUpdated(photo),
      photoRemoved: (photoId) => uploads.photoRemoved(photoId),
      onSignedOut,
    });
    const galleryRef = gallery;
    const photoView = new PhotoView(
      this.api,
      {
        fileNameFor: (photoId) => uploads.fileNameFor(photoId),
        photoUpdated: (photo) => galleryRef.upsertPhoto(photo),
        onDeleted: (photoId) => {
          galleryRef.removePhoto(photoId);
          this.lastOpenedPhotoId = null;
          this.leavePhotoView(true);
        },
        onBack: () => this.leavePhotoView(false),
        onSignedOut,
      },
      this.config.workflow,
    );
    const galleryView = h('div', { class: 'gallery-view' }, uploads.element, gallery.element);
    this.session = { uploads, gallery, photoView, galleryView };
    this.root.replaceChildren(galleryView, photoView.element);
    void gallery.reload();
    this.showRoute(false);
    this.pollSoon(POLL_INTERVAL_MS);
  }

  private endSession(): void {
    window.clearTimeout(this.pollTimer);
    this.session?.photoView.close();
    this.session = null;
  }

  private onRouteChange(): void {
    const previous = this.route;
    this.route = parseRoute(window.location.hash);
    if (this.route.name === 'photo') this.openedFromGallery = previous.name === 'gallery';
    if (previous.name === 'photo' && this.route.name === 'photo' && previous.photoId === this.route.photoId)
      return;
    if (this.session) this.showRoute(true);
  }

  private showRoute(userNavigated: boolean): void {
    const session = this.session;
    if (!session) return;
    if (this.route.name === 'photo') {
      this.lastOpenedPhotoId = this.route.photoId;
      session.galleryView.hidden = true;
      document.title = `Photo · ${APP_TITLE}`;
      void session.photoView.open(this.route.photoId);
      window.scrollTo(0, 0);
    } else {
      const wasOpen = session.photoView.isOpen;
      session.photoView.close();
      session.galleryView.hidden = false;
      document.title = APP_TITLE;
      if (wasOpen && userNavigated) {
        // Back where the user was: focus the card they opened.
        const link = this.lastOpenedPhotoId ? session.gallery.cardLink(this.lastOpenedPhotoId) : null;
        if (link) link.focus();
        else document.getElementById('gallery-heading')?.focus();
        this.pollSoon(0);
      }
    }
  }

  /** Back to the gallery: history.back() when the gallery is the previous entry, else a new entry. */
  private leavePhotoView(replace: boolean): void {
    if (this.openedFromGallery) {
      this.openedFromGallery = false;
      window.history.back();
    } else if (replace) {
      window.location.replace(GALLERY_HREF);
    } else {
      window.location.hash = GALLERY_HREF;
    }
  }

  private onKeydown(event: KeyboardEvent): void {
    if (event.key !== 'Escape' || event.defaultPrevented || !this.session?.photoView.isOpen) return;
    if (this.session.photoView.cancelConfirmIfOpen()) {
      event.preventDefault();
      return;
    }
    event.preventDefault();
    this.leavePhotoView(false);
  }

  private pollSoon(delay: number): void {
    if (this.polling) return; // the running poll schedules the next one
    window.clearTimeout(this.pollTimer);
    this.pollTimer = window.setTimeout(() => void this.pollOnce(), delay);
  }

  private async pollOnce(): Promise<void> {
    const session = this.session;
    if (!session) return;
    if (!document.hidden) {
      this.polling = true;
      try {
        const view = this.route.name === 'photo' ? session.photoView : session.gallery;
        if (view.needsPolling()) await view.poll();
      } catch (error) {
        console.warn('Polling failed', error);
      } finally {
        this.polling = false;
      }
    }
    if (this.session === session) {
      window.clearTimeout(this.pollTimer);
      this.pollTimer = window.setTimeout(() => void this.pollOnce(), POLL_INTERVAL_MS);
    }
  }
}

function renderFatal(root: HTMLElement, message: string): void {
  root.replaceChildren(
    h(
      'section',
      { class: 'panel fatal', role: 'alert' },
      h('h2', {}, 'The app cannot start'),
      h('p', {}, message),
      h('p', { class: 'muted' }, 'The server must serve config.json next to index.html (see web/README.md).'),
    ),
  );
}

async function main(): Promise<void> {
  const root = document.getElementById('app');
  const sessionArea = document.getElementById('session');
  const announcer = document.getElementById('announcer');
  if (!root || !sessionArea || !announcer) return;
  mountAnnouncer(announcer);
  document.getElementById('skip-link')?.addEventListener('click', (event) => {
    event.preventDefault();
    document.getElementById('main')?.focus();
  });

  let config: AppConfig;
  try {
    config = await loadConfig(document.baseURI);
  } catch (error) {
    renderFatal(root, (error as Error).message);
    return;
  }
  const auth: Auth = config.mode === 'cognito' ? new CognitoAuth(config) : new LocalAuth(config);
  const api = new ApiClient(config.apiUrl, auth);
  document.documentElement.dataset.mode = config.mode;
  await new App(config, auth, api, root, sessionArea).start();
}

void main();
