/**
 * A very small DOM for the throwaway smoke test (no jsdom in this repo, no browser on this machine).
 * Only what the app uses: elements, attributes, events with bubbling, simple selectors, location/history.
 */
type Listener = (event: FakeEvent) => void;

export class FakeEvent {
  defaultPrevented = false;
  propagationStopped = false;
  target: FakeNode | null = null;
  currentTarget: FakeNode | null = null;
  constructor(
    readonly type: string,
    init: Record<string, unknown> = {},
  ) {
    Object.assign(this, init);
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
  stopPropagation(): void {
    this.propagationStopped = true;
  }
}

class Events {
  private listeners = new Map<string, Listener[]>();
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  removeEventListener(type: string, listener: Listener): void {
    this.listeners.set(
      type,
      (this.listeners.get(type) ?? []).filter((l) => l !== listener),
    );
  }
  fire(event: FakeEvent): void {
    for (const listener of this.listeners.get(event.type) ?? []) listener.call(this, event);
  }
}

export class FakeNode extends Events {
  parentNode: FakeElement | null = null;
  childNodes: FakeNode[] = [];
  get textContent(): string {
    return this.childNodes.map((c) => c.textContent).join('');
  }
  set textContent(value: string) {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes = [];
    if (value !== '') this.appendNode(new FakeText(value));
  }
  appendNode(node: FakeNode): void {
    node.parentNode?.removeChildNode(node);
    node.parentNode = this as unknown as FakeElement;
    this.childNodes.push(node);
  }
  removeChildNode(node: FakeNode): void {
    this.childNodes = this.childNodes.filter((c) => c !== node);
    node.parentNode = null;
  }
  dispatchEvent(event: FakeEvent): boolean {
    event.target ??= this;
    for (let node: FakeNode | null = this; node && !event.propagationStopped; node = node.parentNode) {
      event.currentTarget = node;
      node.fire(event);
    }
    if (!event.propagationStopped) fakeDocument.fire(event);
    return !event.defaultPrevented;
  }
}

export class FakeText extends FakeNode {
  constructor(private text: string) {
    super();
  }
  override get textContent(): string {
    return this.text;
  }
  override set textContent(value: string) {
    this.text = value;
  }
}

const REFLECTED = ['id', 'href', 'src', 'alt', 'type', 'title', 'rel', 'target'];
const BOOLEAN = ['hidden', 'disabled', 'multiple'];

export class FakeElement extends FakeNode {
  readonly attributes = new Map<string, string>();
  readonly style: Record<string, string> = {};
  value = '';
  files: unknown[] | null = null;
  width = 0;
  height = 0;
  constructor(readonly tagName: string) {
    super();
    for (const name of [...REFLECTED, ...BOOLEAN]) {
      Object.defineProperty(this, name, {
        get: () => (BOOLEAN.includes(name) ? this.attributes.has(name) : (this.attributes.get(name) ?? '')),
        set: (v: unknown) => {
          if (BOOLEAN.includes(name)) {
            if (v) this.attributes.set(name, '');
            else this.attributes.delete(name);
          } else this.attributes.set(name, String(v));
        },
      });
    }
  }
  get children(): FakeElement[] {
    return this.childNodes.filter((c): c is FakeElement => c instanceof FakeElement);
  }
  get childElementCount(): number {
    return this.children.length;
  }
  get firstElementChild(): FakeElement | null {
    return this.children[0] ?? null;
  }
  get nextElementSibling(): FakeElement | null {
    const siblings = this.parentNode?.children ?? [];
    return siblings[siblings.indexOf(this) + 1] ?? null;
  }
  get className(): string {
    return this.attributes.get('class') ?? '';
  }
  set className(v: string) {
    this.attributes.set('class', v);
  }
  get classList() {
    const list = () => this.className.split(/\s+/).filter(Boolean);
    return {
      add: (...names: string[]) => {
        this.className = [...new Set([...list(), ...names])].join(' ');
      },
      remove: (...names: string[]) => {
        this.className = list()
          .filter((n) => !names.includes(n))
          .join(' ');
      },
      contains: (name: string) => list().includes(name),
    };
  }
  get dataset(): Record<string, string | undefined> {
    const toAttr = (key: string) => `data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    return new Proxy(
      {},
      {
        get: (_t, key: string) => this.attributes.get(toAttr(key)),
        set: (_t, key: string, value: unknown) => {
          this.attributes.set(toAttr(key), String(value));
          return true;
        },
      },
    );
  }
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, String(value));
    if (name === 'value') this.value = String(value);
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  hasAttribute(name: string): boolean {
    return this.attributes.has(name);
  }
  removeAttribute(name: string): void {
    this.attributes.delete(name);
  }
  append(...nodes: (FakeNode | string)[]): void {
    for (const node of nodes) this.appendNode(typeof node === 'string' ? new FakeText(node) : node);
  }
  prepend(...nodes: (FakeNode | string)[]): void {
    for (const node of [...nodes].reverse()) {
      const n = typeof node === 'string' ? new FakeText(node) : node;
      n.parentNode?.removeChildNode(n);
      n.parentNode = this;
      this.childNodes.unshift(n);
    }
  }
  after(node: FakeNode): void {
    const parent = this.parentNode;
    if (!parent) return;
    node.parentNode?.removeChildNode(node);
    node.parentNode = parent;
    parent.childNodes.splice(parent.childNodes.indexOf(this) + 1, 0, node);
  }
  remove(): void {
    this.parentNode?.removeChildNode(this);
  }
  replaceChildren(...nodes: (FakeNode | string)[]): void {
    this.textContent = '';
    this.append(...nodes);
  }
  contains(node: FakeNode | null): boolean {
    for (let n = node; n; n = n.parentNode) if (n === this) return true;
    return false;
  }
  focus(): void {
    fakeDocument.activeElement = this;
  }
  click(): void {
    if (this.hasAttribute('disabled')) return;
    const event = new FakeEvent('click');
    this.dispatchEvent(event);
    const link = this.closest('a');
    if (!event.defaultPrevented && link?.getAttribute('href')?.startsWith('#')) {
      fakeLocation.hash = link.getAttribute('href')!;
    }
  }
  closest(tag: string): FakeElement | null {
    for (let n: FakeElement | null = this; n; n = n.parentNode) if (n.tagName === tag) return n;
    return null;
  }
  matches(selector: string): boolean {
    return matchCompound(this, selector);
  }
  querySelectorAll(selector: string): FakeElement[] {
    const parts = selector.trim().split(/\s+/);
    const out: FakeElement[] = [];
    const walk = (el: FakeElement) => {
      for (const child of el.children) {
        if (matchChain(child, parts, this)) out.push(child);
        walk(child);
      }
    };
    walk(this);
    return out;
  }
  querySelector(selector: string): FakeElement | null {
    return this.querySelectorAll(selector)[0] ?? null;
  }
  /** Text as a person would read it: hidden subtrees left out. */
  get visibleText(): string {
    if (this.hasAttribute('hidden')) return '';
    return this.childNodes.map((c) => (c instanceof FakeElement ? c.visibleText : c.textContent)).join('');
  }
}

function matchCompound(el: FakeElement, selector: string): boolean {
  const re = /([a-z0-9]+)|#([\w-]+)|\.([\w-]+)|\[([\w-]+)(?:=["']?([^\]"']*)["']?)?\]/gi;
  let any = false;
  for (const m of selector.matchAll(re)) {
    any = true;
    if (m[1] && el.tagName !== m[1].toLowerCase()) return false;
    if (m[2] && el.getAttribute('id') !== m[2]) return false;
    if (m[3] && !el.classList.contains(m[3])) return false;
    if (m[4] && (m[5] === undefined ? !el.hasAttribute(m[4]) : el.getAttribute(m[4]) !== m[5])) return false;
  }
  return any;
}

function matchChain(el: FakeElement, parts: string[], root: FakeElement): boolean {
  if (!matchCompound(el, parts[parts.length - 1])) return false;
  let i = parts.length - 2;
  for (let n = el.parentNode; n && n !== root.parentNode && i >= 0; n = n.parentNode) {
    if (matchCompound(n, parts[i])) i--;
  }
  return i < 0;
}

const windowEvents = new Events();

export const fakeLocation = {
  origin: '',
  pathname: '/',
  search: '',
  _hash: '',
  get hash() {
    return this._hash;
  },
  set hash(value: string) {
    const next = value.startsWith('#') ? value : `#${value}`;
    if (next === this._hash) return;
    this._hash = next;
    history.push(next);
    setTimeout(() => windowEvents.fire(new FakeEvent('hashchange')), 0);
  },
  get href() {
    return `${this.origin}${this.pathname}${this.search}${this._hash}`;
  },
  assign(url: string) {
    assigned.push(url);
  },
  replace(url: string) {
    this._hash = url;
    setTimeout(() => windowEvents.fire(new FakeEvent('hashchange')), 0);
  },
};
const history: string[] = [''];
export const assigned: string[] = [];

export const fakeDocument = {
  activeElement: null as FakeElement | null,
  hidden: false,
  title: '',
  baseURI: '',
  documentElement: new FakeElement('html'),
  body: new FakeElement('body'),
  createElement: (tag: string) => new FakeElement(tag),
  createElementNS: (_ns: string, tag: string) => new FakeElement(tag),
  getElementById(id: string): FakeElement | null {
    return this.documentElement.querySelector(`#${id}`);
  },
  ...(() => {
    const events = new Events();
    return {
      addEventListener: events.addEventListener.bind(events),
      fire: events.fire.bind(events),
    };
  })(),
};

export function installFakeDom(baseUrl: string): void {
  const url = new URL(baseUrl);
  fakeLocation.origin = url.origin;
  fakeDocument.baseURI = baseUrl;
  fakeDocument.documentElement.append(fakeDocument.body);
  const store = new Map<string, string>();
  const g = globalThis as Record<string, unknown>;
  g.document = fakeDocument;
  g.sessionStorage = {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => store.set(k, v),
    removeItem: (k: string) => store.delete(k),
  };
  g.window = {
    setTimeout,
    clearTimeout,
    location: fakeLocation,
    history: {
      replaceState: () => {},
      back: () => {
        history.pop();
        fakeLocation._hash = history[history.length - 1] ?? '';
        setTimeout(() => windowEvents.fire(new FakeEvent('hashchange')), 0);
      },
    },
    addEventListener: windowEvents.addEventListener.bind(windowEvents),
    scrollTo: () => {},
  };
  // Relative fetches resolve against the page.
  const realFetch = globalThis.fetch;
  g.fetch = (input: string | URL, init?: RequestInit) => realFetch(new URL(String(input), baseUrl), init);
  g.XMLHttpRequest = class {
    status = 0;
    statusText = '';
    responseText = '';
    upload = new Events();
    private events = new Events();
    private method = 'GET';
    private url = '';
    open(method: string, url: string) {
      this.method = method;
      this.url = url;
    }
    addEventListener(type: string, l: Listener) {
      this.events.addEventListener(type, l);
    }
    abort() {}
    send(body: FormData) {
      realFetch(this.url, { method: this.method, body })
        .then(async (response) => {
          this.status = response.status;
          this.statusText = response.statusText;
          this.responseText = await response.text();
          this.upload.fire(
            Object.assign(new FakeEvent('progress'), { lengthComputable: true, loaded: 50, total: 100 }),
          );
          this.events.fire(new FakeEvent('load'));
        })
        .catch(() => this.events.fire(new FakeEvent('error')));
    }
  };
}
