// "Judge this pair" above every pair of a preference file, and the verdict once judged; the hover
// shows the model's reasoning. Registered only for the preference-file globs.

import * as vscode from 'vscode';
import { CommandIds } from '../command-ids';
import type { Ctx } from '../ctx';
import { pairRange, parseDocument } from './document-pairs';
import { verdictTitle, type JudgeMode } from './verdict-store';
import { responsePreview } from './response-preview';

export interface JudgeArgs {
  uri: string;
  pairId: string;
  mode: JudgeMode;
}

/** Text shown literally inside Markdown: every Markdown character escaped, `<` and `&` as entities. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/[\\`*_{}[\]()#+\-.!|>~]/g, '\\$&');
}

/** Each folder's own globs, relative to that folder (folders may set different ones). */
export function preferenceSelector(ctx: Ctx): vscode.DocumentFilter[] {
  return ctx.folders.all().flatMap((f) =>
    f.files.config.include.map((glob) => ({
      scheme: 'file',
      pattern: new vscode.RelativePattern(f.workspaceFolder, glob),
    })),
  );
}

export class PairCodeLensProvider implements vscode.CodeLensProvider, vscode.HoverProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly ctx: Ctx) {
    ctx.register(ctx.verdicts.onDidChange(() => this.changed.fire()));
    ctx.register(ctx.folders.onDidChange(() => this.changed.fire()));
    ctx.register(this.changed);
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const parse = await parseDocument(doc);
    if (!parse) return [];
    const lenses: vscode.CodeLens[] = [];
    const folder = this.ctx.folders.of(doc.uri);
    for (const pair of parse.pairs) {
      const range = pairRange(pair);
      lenses.push(
        new vscode.CodeLens(range, {
          title: '$(preview) Open Pair',
          command: CommandIds.openPair,
          arguments: [{ uri: doc.uri.toString(), pairId: pair.pairId }],
          tooltip: "Read the pair rendered, with every run's verdicts",
        }),
      );
      const modes: JudgeMode[] = folder?.files.hasPersona(pair.userId) ? ['plain', 'persona'] : ['plain'];
      for (const mode of modes) {
        const args: JudgeArgs = { uri: doc.uri.toString(), pairId: pair.pairId, mode };
        const label = mode === 'plain' ? 'Judge this pair' : 'Judge with persona';
        lenses.push(
          new vscode.CodeLens(range, {
            title: `$(law) ${label}`,
            command: CommandIds.judgePair,
            arguments: [args],
            tooltip: `Ask the model which response ${pair.userId} prefers, in both orders`,
          }),
        );
        const v = this.ctx.verdicts.get(doc.uri, pair.pairId, mode);
        if (v)
          lenses.push(
            new vscode.CodeLens(range, {
              title: `${mode === 'persona' ? 'persona: ' : ''}${verdictTitle(v)}`,
              command: '',
              tooltip: 'Hover the pair for the reasoning',
            }),
          );
      }
    }
    return lenses;
  }

  async provideHover(doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const parse = await parseDocument(doc);
    const pair = parse?.pairs.find((p) => p.source.line - 1 <= position.line && position.line <= p.source.endLine - 1);
    if (!pair) return undefined;
    const md = new vscode.MarkdownString();
    let any = false;
    for (const mode of ['plain', 'persona'] as const) {
      const v = this.ctx.verdicts.get(doc.uri, pair.pairId, mode);
      if (!v) continue;
      any = true;
      md.appendMarkdown(`**${mode === 'persona' ? 'With persona' : 'Without persona'}**: `);
      md.appendMarkdown(escapeMarkdown(verdictTitle(v)));
      md.appendMarkdown('\n\n');
      for (const o of v.orders) {
        md.appendMarkdown(
          `*Order ${o.order[0]},${o.order[1]}* (${o.order === 'AB' ? 'A = chosen' : 'A = rejected'}): `,
        );
        // Model output is untrusted text: escaped, never rendered as Markdown or HTML.
        md.appendMarkdown(
          escapeMarkdown(`${o.preference ?? 'no answer'}${o.error ? ` (${o.error})` : ''} — ${o.reasoning.trim()}`),
        );
        md.appendMarkdown('\n\n');
      }
      // A command link (the only one this hover trusts): what the model was sent and answered, order by order.
      // The pair id is data: its parentheses are encoded too (encodeURIComponent keeps them), so none closes the target.
      const args: JudgeArgs = { uri: doc.uri.toString(), pairId: pair.pairId, mode };
      const target = encodeURIComponent(JSON.stringify(args)).replace(/\(/g, '%28').replace(/\)/g, '%29');
      md.appendMarkdown(
        `[$(comment-discussion) Transcript](command:${CommandIds.openTranscript}?${target} ` +
          '"What the model was sent and answered")\n\n',
      );
      md.isTrusted = { enabledCommands: [CommandIds.openTranscript] };
      md.supportThemeIcons = true;
    }
    if (!any) {
      // Not judged yet: a short preview of what the pair is (data is untrusted text: escaped).
      const first = (t: string, n = 160) => {
        const line = t.trim().split('\n').slice(0, 2).join(' ');
        return line.length > n ? `${line.slice(0, n)}…` : line;
      };
      const question = [...pair.context].reverse().find((t) => t.role === 'user')?.content ?? '';
      md.appendMarkdown(`**${escapeMarkdown(pair.userId)}** · ${escapeMarkdown(pair.pairId)}\n\n`);
      md.appendMarkdown(`*Question:* ${escapeMarkdown(first(question, 240))}\n\n`);
      // The responses read past their first code block: the prose after it is often what the user preferred.
      md.appendMarkdown(`*Chosen:* ${escapeMarkdown(responsePreview(pair.chosen.content))}\n\n`);
      md.appendMarkdown(`*Rejected:* ${escapeMarkdown(responsePreview(pair.rejected.content))}\n\n`);
      md.appendMarkdown('Not judged yet: use the lens above the pair.');
    }
    return new vscode.Hover(md, pairRange(pair));
  }
}

export function registerPairCodeLens(ctx: Ctx): PairCodeLensProvider {
  const provider = new PairCodeLensProvider(ctx);
  // Registered for the configured globs only, and again when they change.
  let globs = '';
  let registrations: vscode.Disposable[] = [];
  const register = () => {
    const now = JSON.stringify(ctx.folders.all().map((f) => [f.uri.toString(), f.files.config.include]));
    if (now === globs) return;
    globs = now;
    for (const r of registrations) r.dispose();
    const selector = preferenceSelector(ctx);
    registrations = [
      vscode.languages.registerCodeLensProvider(selector, provider),
      vscode.languages.registerHoverProvider(selector, provider),
    ];
  };
  register();
  ctx.register(ctx.folders.onDidChange(register));
  ctx.register({ dispose: () => registrations.forEach((r) => r.dispose()) });
  return provider;
}
