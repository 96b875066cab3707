// The part of the webview host that needs no VS Code (unit-tested with a fake webview): the table of
// webviews, the one ready handshake, the HTML shell with its text escaped.
//
// Handshake: a page that is (re)loaded is not posted to until its script says `ready`; the host then
// sends the state it shows (the last `show`), then what was posted meanwhile. Every message from a page
// is validated before anything acts on it; the last one of each type is kept for the test API.

import {
  isCollectToHost,
  isGridToHost,
  isHistoryToHost,
  isInspectorToHost,
  isPairToHost,
  isTranscriptToHost,
  isVerdictsToHost,
  type ToHost,
  type ToWebview,
  type WebviewKind,
} from '../protocol';

export interface WebviewSpec<K extends WebviewKind> {
  /** The panel's or the view's id (package.json's for a view). */
  viewType: string;
  /** The script under dist/webview/ (esbuild.mjs webviewEntries). */
  bundle: string;
  /** The page's title before the data arrives. */
  title: string;
  isToHost: (x: unknown) => x is ToHost<K>;
}

export const WEBVIEWS: { readonly [K in WebviewKind]: WebviewSpec<K> } = {
  pair: { viewType: 'synthesizeme.pair', bundle: 'pair-view', title: 'Pair', isToHost: isPairToHost },
  grid: { viewType: 'synthesizeme.compareGrid', bundle: 'compare-grid', title: 'Compare', isToHost: isGridToHost },
  history: { viewType: 'synthesizeme.history', bundle: 'history', title: 'History', isToHost: isHistoryToHost },
  verdicts: { viewType: 'synthesizeme.verdicts', bundle: 'verdicts', title: 'Verdicts', isToHost: isVerdictsToHost },
  collect: { viewType: 'synthesizeme.collect', bundle: 'collect', title: 'Collect', isToHost: isCollectToHost },
  transcript: {
    viewType: 'synthesizeme.transcript',
    bundle: 'transcript',
    title: 'Transcript',
    isToHost: isTranscriptToHost,
  },
  inspector: {
    viewType: 'synthesizeme.personaInspector',
    bundle: 'persona-inspector',
    title: 'Persona Inspector',
    isToHost: isInspectorToHost,
  },
};

/** What the channel needs of a webview: `vscode.Webview` has it, and so does a test's fake. */
export interface ChannelWebview {
  postMessage(message: unknown): PromiseLike<boolean>;
  onDidReceiveMessage(listener: (message: unknown) => unknown): { dispose(): unknown };
}

export interface ChannelLog {
  warn(scope: string, message: string): void;
  error(scope: string, err: Error | string): void;
}

export type MessageHandler<K extends WebviewKind> = (m: ToHost<K>) => void | Promise<void>;

/** Posted while a page loads, at most this many wait for its `ready` (the newest kept). */
const MAX_WAITING = 256;

export class WebviewChannel<K extends WebviewKind> {
  private webview: ChannelWebview | undefined;
  private subscription: { dispose(): unknown } | undefined;
  private ready = false;
  private state: ToWebview<K> | undefined;
  private readonly waiting: ToWebview<K>[] = [];
  private handler: MessageHandler<K> | undefined;
  private readonly reports = new Map<string, ToHost<K>>();

  constructor(
    readonly kind: K,
    private readonly log: ChannelLog,
  ) {}

  /** A page is (re)loading in this webview: nothing is posted to it until it says `ready`. */
  attach(webview: ChannelWebview): void {
    this.subscription?.dispose();
    this.webview = webview;
    this.ready = false;
    this.subscription = webview.onDidReceiveMessage((m) => this.receive(m));
  }

  /** The webview is gone (closed, or a hidden view released). */
  detach(): void {
    this.subscription?.dispose();
    this.subscription = undefined;
    this.webview = undefined;
    this.ready = false;
    this.waiting.length = 0;
  }

  get attached(): boolean {
    return this.webview !== undefined;
  }

  /** Who acts on the page's messages (each `show` names its own: the handler knows what is shown). */
  handle(handler: MessageHandler<K>): void {
    this.handler = handler;
  }

  /** What the page shows: sent now when it is ready, else on its `ready`, and again after every reload. */
  show(state: ToWebview<K>): void {
    this.state = state;
    // What the page said was about the state this one replaces.
    this.reports.clear();
    if (this.ready) this.send(state);
  }

  /** A message that does not change what a reload shows (a search answer, a note). */
  post(message: ToWebview<K>): void {
    if (!this.webview) return;
    if (this.ready) this.send(message);
    else if (this.waiting.push(message) > MAX_WAITING) this.waiting.shift();
  }

  /** A message from the page (or from the test API, as if from the page): validated, then handled. */
  async receive(raw: unknown): Promise<void> {
    const spec = WEBVIEWS[this.kind] as WebviewSpec<K>;
    if (!spec.isToHost(raw)) {
      this.log.warn(spec.bundle, 'ignored a malformed message from the webview');
      return;
    }
    if (raw.type === 'ready') {
      this.ready = true;
      if (this.state !== undefined) this.send(this.state);
      for (const m of this.waiting.splice(0)) this.send(m);
    } else this.reports.set(raw.type, raw);
    try {
      await this.handler?.(raw);
    } catch (err) {
      this.log.error(spec.bundle, err instanceof Error ? err : String(err));
    }
  }

  /** The state last shown. */
  shown(): ToWebview<K> | undefined {
    return this.state;
  }

  /** The page's last message of a type since the state was last shown (`painted`, `chartPainted`). */
  reported<T extends ToHost<K>['type']>(type: T): Extract<ToHost<K>, { type: T }> | undefined {
    return this.reports.get(type) as Extract<ToHost<K>, { type: T }> | undefined;
  }

  private send(message: ToWebview<K>): void {
    void this.webview?.postMessage(message);
  }
}

/** Text for HTML: a title or any other string from data is never read as markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface PageParts {
  /** The webview's `cspSource`. */
  cspSource: string;
  nonce: string;
  script: string;
  style: string;
  codicons: string;
  title: string;
}

/**
 * The one HTML shell of every webview: CSP `default-src 'none'`, the script by nonce, `connect-src 'none'`
 * (all network calls stay in the extension host), styles, fonts and images only from the webview's own
 * source. Every part is escaped: a title made from data ("Pair <id>") stays text.
 */
export function webviewPage(p: PageParts): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${p.nonce}'`,
    `style-src ${p.cspSource}`,
    `font-src ${p.cspSource}`,
    `img-src ${p.cspSource}`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
  const e = escapeHtml;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${e(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${e(p.codicons)}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${e(p.style)}">
<title>${e(p.title)}</title>
</head>
<body>
<div id="app"></div>
<script type="module" nonce="${e(p.nonce)}" src="${e(p.script)}"></script>
</body>
</html>`;
}
