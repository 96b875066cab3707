// The one webview host: every webview panel (pair view, comparison grid, history, verdicts, collect) and
// the Persona Inspector's side-bar view are created, loaded, revealed and spoken to here. It is built
// once by Ctx and disposed with it; it holds the only state the views keep between calls.
//
// - One ready handshake (webview-channel.ts): a page is posted to only after it says `ready`.
// - One reveal rule: a panel not active is revealed and given the focus; an active one is left alone (a
//   reveal would take the keyboard from the webview, and j then k in the pair view would go nowhere).
//   The side-bar view is shown without taking the focus.
// - One typed protocol (protocol.ts): what each kind sends and receives, validated on arrival.
// - One test API (`testApi`): what each webview was last given and last reported, and a way to send a
//   message as the page would. activate() hands it out only in the extension's Test mode.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Log } from '../log';
import type { ToHost, ToWebview, WebviewKind } from '../protocol';
import { WEBVIEWS, WebviewChannel, webviewPage, type MessageHandler } from './webview-channel';

export type PanelKind = Exclude<WebviewKind, 'inspector'>;
export type ViewKind = 'inspector';

/** For the integration tests: a webview's DOM is out of their reach, its messages are not. */
export interface WebviewTestApi {
  /** The state a webview was last given (the pair shown, the run, the grid...). */
  shown<K extends WebviewKind>(kind: K): ToWebview<K> | undefined;
  /** The webview's last message of a type since that state (`painted`, `chartPainted`). */
  reported<K extends WebviewKind, T extends ToHost<K>['type']>(
    kind: K,
    type: T,
  ): Extract<ToHost<K>, { type: T }> | undefined;
  /** Delivers a message as if the page had sent it (keys the tests cannot press), and waits for its handling. */
  receive<K extends WebviewKind>(kind: K, message: ToHost<K>): Promise<void>;
  /** The same three for the custom editor last opened on a document (a run file's editor), when it is open. */
  editor<K extends WebviewKind>(kind: K, document: vscode.Uri): EditorTestApi<K> | undefined;
}

export type EditorTestApi<K extends WebviewKind> = Pick<WebviewChannel<K>, 'shown' | 'reported' | 'receive'>;

export class WebviewHost implements vscode.Disposable {
  private readonly channels = new Map<WebviewKind, WebviewChannel<WebviewKind>>();
  private readonly panels = new Map<PanelKind, HostedPanel<PanelKind>>();
  private readonly views = new Map<ViewKind, HostedView<ViewKind>>();
  /** The channel of each open custom editor's page, by its document (the last editor opened on it). */
  private readonly editors = new Map<string, WebviewChannel<WebviewKind>>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Log,
  ) {}

  /** The panel of a kind: one per kind, created on its first `show` and reused. */
  panel<K extends PanelKind>(kind: K): HostedPanel<K> {
    let p = this.panels.get(kind) as HostedPanel<K> | undefined;
    if (!p) {
      p = new HostedPanel(this, this.channel(kind), kind);
      this.panels.set(kind, p as unknown as HostedPanel<PanelKind>);
    }
    return p;
  }

  /**
   * The editor group results are shown in: the one an open panel of any kind is in. A new panel joins it rather
   * than the active group, so that results stay in one place instead of spreading over the groups.
   */
  resultsColumn(): vscode.ViewColumn | undefined {
    for (const p of this.panels.values()) if (p.column !== undefined) return p.column;
    return undefined;
  }

  /** The side-bar view of a kind, registered with VS Code on first use. */
  view<K extends ViewKind>(kind: K): HostedView<K> {
    let v = this.views.get(kind) as HostedView<K> | undefined;
    if (!v) {
      v = new HostedView(this, this.channel(kind), kind);
      this.views.set(kind, v as unknown as HostedView<ViewKind>);
      this.disposables.push(
        vscode.window.registerWebviewViewProvider(WEBVIEWS[kind].viewType, v as vscode.WebviewViewProvider, {
          webviewOptions: { retainContextWhenHidden: false },
        }),
      );
    }
    return v;
  }

  /**
   * A custom editor's webview (VS Code makes one per editor opened on a document): a kind's page with a channel of
   * its own, so that two run files open side by side each keep their state. Gone when the editor closes.
   */
  editor<K extends PanelKind>(kind: K, panel: vscode.WebviewPanel, document: vscode.Uri): HostedEditor<K> {
    const key = document.toString();
    const channel = new WebviewChannel(kind, this.log);
    const kept = channel as unknown as WebviewChannel<WebviewKind>;
    this.editors.set(key, kept);
    panel.onDidDispose(() => {
      channel.detach();
      if (this.editors.get(key) === kept) this.editors.delete(key);
    });
    this.load(panel.webview, kind, panel.title, kept);
    return new HostedEditor(channel);
  }

  readonly testApi: WebviewTestApi = {
    shown: (kind) => this.channels.get(kind)?.shown() as never,
    reported: (kind, type) => this.channels.get(kind)?.reported(type as never) as never,
    receive: async (kind, message) => {
      await this.channels.get(kind)?.receive(message);
    },
    editor: (kind, document) => {
      const c = this.editors.get(document.toString());
      return c?.kind === kind ? (c as never) : undefined;
    },
  };

  /** Loads a kind's page into a webview (a new panel, a reload, a resolved view, a custom editor with its channel). */
  load(
    webview: vscode.Webview,
    kind: WebviewKind,
    title: string,
    channel: WebviewChannel<WebviewKind> = this.channel(kind),
  ): void {
    webview.options = this.options();
    channel.attach(webview);
    webview.html = webviewPage({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      script: this.resource(webview, 'dist', 'webview', `${WEBVIEWS[kind].bundle}.js`),
      style: this.resource(webview, 'media', 'webview.css'),
      codicons: this.resource(webview, 'dist', 'webview', 'codicon.css'),
      title,
    });
  }

  /** Scripts on, command links off, resources only from dist/webview and media/. */
  options(): vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [
        vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'),
        vscode.Uri.joinPath(this.extensionUri, 'media'),
      ],
    };
  }

  dispose(): void {
    for (const p of this.panels.values()) p.dispose();
    for (const c of this.channels.values()) c.detach();
    for (const c of this.editors.values()) c.detach();
    this.editors.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panels.clear();
    this.views.clear();
  }

  private channel<K extends WebviewKind>(kind: K): WebviewChannel<K> {
    let c = this.channels.get(kind) as WebviewChannel<K> | undefined;
    if (!c) {
      c = new WebviewChannel(kind, this.log);
      this.channels.set(kind, c as unknown as WebviewChannel<WebviewKind>);
    }
    return c;
  }

  private resource(webview: vscode.Webview, ...path: string[]): string {
    return webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...path)).toString();
  }
}

export interface ShowOptions {
  /** Load the page afresh (its filters and scroll reset) instead of sending the new state to it. */
  reload?: boolean;
}

/** A webview panel of one kind: at most one open at a time. */
export class HostedPanel<K extends PanelKind> {
  private panel: vscode.WebviewPanel | undefined;
  private readonly closeListeners = new Set<() => void>();

  constructor(
    private readonly host: WebviewHost,
    private readonly channel: WebviewChannel<K>,
    readonly kind: K,
  ) {}

  get visible(): boolean {
    return this.panel !== undefined;
  }

  /** The editor group the panel is in, while it is open. */
  get column(): vscode.ViewColumn | undefined {
    return this.panel?.viewColumn;
  }

  /** Shows `state` (sent once the page is ready, and again whenever it reloads), `onMessage` handling the page's messages. */
  show(title: string, state: ToWebview<K>, onMessage: MessageHandler<K>, options: ShowOptions = {}): void {
    const existing = this.panel;
    const p = existing ?? this.create(title);
    this.panel = p;
    if (existing && options.reload) this.host.load(p.webview, this.kind, title);
    this.channel.handle(onMessage);
    this.channel.show(state);
    p.title = title;
    if (!p.active) p.reveal(undefined, false);
  }

  /** Replaces what the panel shows, and sends it, without revealing it. */
  update(state: ToWebview<K>): void {
    this.channel.show(state);
  }

  /** Sends a message without changing what a reload shows (a search answer, a note). */
  post(message: ToWebview<K>): void {
    this.channel.post(message);
  }

  /** Called once when the person closes the panel (a session waiting on an answer ends). */
  onClose(listener: () => void): vscode.Disposable {
    this.closeListeners.add(listener);
    return { dispose: () => this.closeListeners.delete(listener) };
  }

  dispose(): void {
    this.panel?.dispose();
  }

  private create(title: string): vscode.WebviewPanel {
    const column = this.host.resultsColumn() ?? vscode.ViewColumn.Active;
    const p = vscode.window.createWebviewPanel(WEBVIEWS[this.kind].viewType, title, column, {
      ...this.host.options(),
      retainContextWhenHidden: true,
    });
    p.onDidDispose(() => {
      this.panel = undefined;
      this.channel.detach();
      for (const l of [...this.closeListeners]) l();
    });
    this.host.load(p.webview, this.kind, title);
    return p;
  }
}

/** A custom editor's page: what it shows and who handles its messages (its panel belongs to VS Code's editor). */
export class HostedEditor<K extends PanelKind> {
  constructor(private readonly channel: WebviewChannel<K>) {}

  /** Shows `state` (sent once the page is ready), `onMessage` handling the page's messages. */
  show(state: ToWebview<K>, onMessage: MessageHandler<K>): void {
    this.channel.handle(onMessage);
    this.channel.show(state);
  }
}

/** A side-bar webview view of one kind; VS Code creates its webview when the view is first shown. */
export class HostedView<K extends ViewKind> implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private readonly visibleListeners = new Set<() => void>();

  constructor(
    private readonly host: WebviewHost,
    private readonly channel: WebviewChannel<K>,
    readonly kind: K,
  ) {}

  /** Whether the view's page exists (a hidden view's page is released). */
  get resolved(): boolean {
    return this.view !== undefined;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.host.load(view.webview, this.kind, WEBVIEWS[this.kind].title);
    view.onDidChangeVisibility(() => {
      if (view.visible) for (const l of [...this.visibleListeners]) l();
    });
    view.onDidDispose(() => {
      this.view = undefined;
      this.channel.detach();
    });
  }

  handle(onMessage: MessageHandler<K>): void {
    this.channel.handle(onMessage);
  }

  /** Called whenever the view becomes visible again. */
  onVisible(listener: () => void): vscode.Disposable {
    this.visibleListeners.add(listener);
    return { dispose: () => this.visibleListeners.delete(listener) };
  }

  show(state: ToWebview<K>): void {
    this.channel.show(state);
  }

  post(message: ToWebview<K>): void {
    this.channel.post(message);
  }

  /** The reveal rule of a side-bar view: shown, the focus left where it is. */
  async reveal(): Promise<void> {
    if (this.view) this.view.show(true);
    else await vscode.commands.executeCommand(`${WEBVIEWS[this.kind].viewType}.focus`);
  }
}
