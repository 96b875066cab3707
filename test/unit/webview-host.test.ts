// The webview host without VS Code (views/webview-channel.ts): the one ready handshake, with a fake
// webview, and the HTML shell, whose title and every other part from data stay text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  escapeHtml,
  WebviewChannel,
  webviewPage,
  type ChannelWebview,
} from '../../src/extension/views/webview-channel';
import type { HostToPair, PairViewData } from '../../src/extension/protocol';

function fakeWebview() {
  const posted: unknown[] = [];
  let listener: ((m: unknown) => unknown) | undefined;
  const webview: ChannelWebview = {
    postMessage: async (m) => {
      posted.push(m);
      return true;
    },
    onDidReceiveMessage: (l) => {
      listener = l;
      return { dispose: () => (listener = undefined) };
    },
  };
  return { webview, posted, say: (m: unknown) => listener?.(m) as Promise<void> };
}

function fakeLog() {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    log: {
      warn: (_: string, m: string) => void warnings.push(m),
      error: (_: string, e: Error | string) => void errors.push(String(e)),
    },
  };
}

const pair = (pairId: string): HostToPair => ({
  type: 'pair',
  pair: { pairId, context: [], judgements: [], positions: [] } as unknown as PairViewData,
  sentAt: 0,
});

test('nothing is posted to a page before it says ready; then the state, then what waited', async () => {
  const w = fakeWebview();
  const channel = new WebviewChannel('pair', fakeLog().log);
  channel.attach(w.webview);
  channel.show(pair('p1'));
  channel.post({ type: 'notFound', message: 'meanwhile' });
  assert.deepEqual(w.posted, [], 'the page is still loading');
  await w.say({ type: 'ready' });
  assert.deepEqual(w.posted, [pair('p1'), { type: 'notFound', message: 'meanwhile' }]);
  // Ready: a new state goes at once.
  channel.show(pair('p2'));
  assert.deepEqual(w.posted.at(-1), pair('p2'));
});

test('a reloaded page gets the state again only after its own ready', async () => {
  const w = fakeWebview();
  const channel = new WebviewChannel('pair', fakeLog().log);
  channel.attach(w.webview);
  channel.show(pair('p1'));
  await w.say({ type: 'ready' });
  const reloaded = fakeWebview();
  channel.attach(reloaded.webview);
  channel.show(pair('p2'));
  assert.deepEqual(reloaded.posted, []);
  await reloaded.say({ type: 'ready' });
  assert.deepEqual(reloaded.posted, [pair('p2')]);
  assert.equal(w.posted.length, 1, 'the old page is not posted to any more');
});

test('messages are validated, handled in order, and the last of each type kept for the test API', async () => {
  const w = fakeWebview();
  const { log, warnings, errors } = fakeLog();
  const channel = new WebviewChannel('pair', log);
  const handled: string[] = [];
  channel.attach(w.webview);
  channel.handle((m) => {
    handled.push(m.type);
    if (m.type === 'openLine') throw new Error('boom');
  });
  channel.show(pair('p1'));
  await w.say({ type: 'navigate', delta: 2, scope: 'file' });
  await w.say('<img src=x onerror=alert(1)>');
  assert.equal(warnings.length, 2, 'both malformed messages are ignored, with a warning');
  await w.say({ type: 'ready' });
  await w.say({ type: 'painted', ms: 12 });
  await channel.receive({ type: 'navigate', delta: 1, scope: 'user' });
  await w.say({ type: 'openLine' });
  assert.deepEqual(handled, ['ready', 'painted', 'navigate', 'openLine']);
  assert.deepEqual(errors, ['Error: boom'], "a handler's error goes to the log");
  assert.deepEqual(channel.reported('painted'), { type: 'painted', ms: 12 });
  assert.deepEqual(channel.shown(), pair('p1'));
  channel.show(pair('p2'));
  assert.equal(channel.reported('painted'), undefined, 'what the page said was about the state replaced');
});

test('a detached channel posts nothing and keeps nothing waiting', async () => {
  const w = fakeWebview();
  const channel = new WebviewChannel('pair', fakeLog().log);
  channel.post({ type: 'notFound', message: 'no page' });
  channel.attach(w.webview);
  channel.detach();
  channel.post({ type: 'notFound', message: 'closed' });
  await w.say({ type: 'ready' });
  assert.deepEqual(w.posted, []);
});

test('the HTML shell escapes its title and every other part', () => {
  const html = webviewPage({
    cspSource: 'vscode-webview://x',
    nonce: 'n0nce+/=',
    script: 'https://file+.vscode-resource/dist/webview/pair-view.js?a=1&b="2"',
    style: 'https://x/media/webview.css',
    codicons: 'https://x/dist/webview/codicon.css',
    title: 'Pair </title><script>alert(1)</script>',
  });
  assert.ok(html.includes('<title>Pair &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>'), html);
  assert.equal(html.match(/<script/g)?.length, 1, 'the one script is the bundle');
  assert.ok(html.includes('src="https://file+.vscode-resource/dist/webview/pair-view.js?a=1&amp;b=&quot;2&quot;"'));
  assert.ok(html.includes('script-src &#39;nonce-n0nce+/=&#39;'), 'the CSP is an attribute value, escaped');
  assert.equal(
    escapeHtml(`<a href="x" title='y'>&</a>`),
    '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
  );
});
