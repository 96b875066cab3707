// What the Persona Inspector shows, gathered from files: the persona file, the pairs its demos
// refer to, the history folder and the newest run files that judged the user with it.

import * as vscode from 'vscode';
import { type Pair } from '../../core/data';
import { readRun } from '../../core/eval';
import { estimateTextTokens } from '../../core/llm';
import {
  copiedRuns,
  copiedRunText,
  demosOf,
  judgeSystem,
  pairSources,
  type PersonaModel,
  PromptStore,
} from '../../core/method';
import { personaHistoryDir, type WorkspaceLayout } from '../../core/workspace';
import type { Folder } from '../folders';
import { readPersonaOf, type UserPersona } from '../persona-of';
import type { DemoView, FigureView, PersonaView } from '../protocol';

function turnText(p: Pair): { conversation: string; chosen: string; rejected: string } {
  return {
    conversation: p.context.map((t) => `${t.role}: ${t.content}`).join('\n\n'),
    chosen: p.chosen.content,
    rejected: p.rejected.content,
  };
}

export async function personaView(folder: Folder, userId: string): Promise<PersonaView | null> {
  const p = await readPersonaOf(folder, userId);
  if (!p) return null;
  const [index, layout] = await Promise.all([folder.files.get(), folder.files.layout()]);
  const pairs = new Map((index.user(userId)?.pairs ?? []).map((x) => [x.pairId, x]));
  const m = p.model;
  const store = new PromptStore(layout.promptDir);
  const stale = await stalePrompts(store, m);
  return {
    userId,
    path: folder.relative(p.path),
    tokens: await tokenCounts(folder, store, m, [...pairs.values()]),
    ...(stale.length ? { stale } : {}),
    ...copiesOf(m.persona, [...pairs.values()]),
    persona: m.persona,
    provenance: provenanceOf(m),
    demos: m.demos.map((d) => demoView(d, pairs.get(d.pairId))),
    figures: [...fitFigures(m), ...(await runFigures(layout, userId, p))],
    history: await historyOf(folder, layout, userId),
  };
}

/** The persona as it is now (a planted or hand-edited one too) against the user's pairs: the longest three copied runs. */
function copiesOf(persona: string, pairs: readonly Pair[]): Pick<PersonaView, 'copies'> {
  const runs = copiedRuns(persona, pairs.flatMap(pairSources)).slice(0, 3);
  return runs.length ? { copies: runs.map((r) => copiedRunText(r)) } : {};
}

function provenanceOf(m: PersonaModel): [string, string][] {
  const prov: [string, string][] = [
    ['model', `${m.provenance.provider} · ${m.provenance.model}`],
    ['created', m.provenance.created],
    ['seed / temperature', `${m.provenance.seed} / ${m.provenance.temperature}`],
    ['candidates (k) / stop score', `${m.provenance.k} / ${m.provenance.stopScore}`],
  ];
  if (m.provenance.calls !== undefined)
    prov.push(['calls (cache hits)', `${m.provenance.calls} (${m.provenance.cacheHits ?? 0})`]);
  if (m.provenance.edited) prov.push(['edited by hand', 'yes']);
  for (const [k, v] of Object.entries(m.provenance.prompts)) prov.push([`prompt ${k}`, v]);
  return prov;
}

function demoView(d: PersonaModel['demos'][number], pair: Pair | undefined): DemoView {
  return {
    pairId: d.pairId,
    ...(d.file !== undefined ? { file: d.file } : pair ? { file: pair.source.file } : {}),
    ...(d.line !== undefined ? { line: d.line } : pair ? { line: pair.source.line } : {}),
    order: d.order,
    preference: d.preference,
    reasoning: d.reasoning,
    ...(pair ? turnText(pair) : { conversation: '', chosen: '', rejected: '' }),
  };
}

/** The validation figure the persona file carries (from its fit, or its last re-validation). */
function fitFigures(m: PersonaModel): FigureView[] {
  const v = m.provenance.validation;
  if (!v) return [];
  const label = m.provenance.edited ? 'validation (last re-validation)' : 'validation (at fit)';
  return [{ label, accuracy: v.accuracy, samples: v.evaluated, pairs: v.evaluated }];
}

/** The newest finished persona+demos run per split that judged this user with this exact persona text. */
async function runFigures(layout: WorkspaceLayout, userId: string, p: UserPersona): Promise<FigureView[]> {
  const figures: FigureView[] = [];
  try {
    const seen = new Set<string>();
    for (const name of await runsNewestFirst(layout.runsDir)) {
      const run = await readRun(`${layout.runsDir}/${name}`);
      const split = run.header?.split;
      if (!split || seen.has(split) || run.header?.inputs[`persona:${userId}`] !== p.hash) continue;
      const u = run.summary?.users.find((x) => x.id === userId);
      if (!u) continue;
      seen.add(split);
      // An incomplete run (failed calls left out) is shown as such, never as a finished figure.
      const incomplete =
        run.summary?.complete === false
          ? `, INCOMPLETE: ${run.summary.failed?.calls ?? '?'} failed call(s) left out`
          : '';
      const { accuracy, ci95, consistency, samples, pairs } = u;
      figures.push({ label: `${split} (both orders)${incomplete}`, accuracy, ci95, consistency, samples, pairs });
    }
  } catch {
    // No runs yet.
  }
  return figures;
}

/** The persona+demos run files of a runs folder, newest first. */
async function runsNewestFirst(runsDir: string): Promise<string[]> {
  const names = (await vscode.workspace.fs.readDirectory(vscode.Uri.file(runsDir)))
    .map(([n]) => n)
    .filter((n) => n.startsWith('persona-demos-') && n.endsWith('.run.jsonl'));
  const withTime: { name: string; mtime: number }[] = [];
  for (const name of names)
    withTime.push({ name, mtime: (await vscode.workspace.fs.stat(vscode.Uri.file(`${runsDir}/${name}`))).mtime });
  return withTime.sort((a, b) => b.mtime - a.mtime).map((r) => r.name);
}

/** The persona's earlier versions, newest first. */
async function historyOf(
  folder: Folder,
  layout: WorkspaceLayout,
  userId: string,
): Promise<{ name: string; path: string }[]> {
  const dir = personaHistoryDir(layout, userId);
  try {
    return (await vscode.workspace.fs.readDirectory(vscode.Uri.file(dir)))
      .map(([n]) => n)
      .filter((n) => n.endsWith('.persona.yaml'))
      .sort()
      .reverse()
      .map((n) => ({ name: n.replace(/\.persona\.yaml$/, ''), path: folder.relative(`${dir}/${n}`) }));
  } catch {
    return []; // No history yet.
  }
}

/** Fitted with a judge prompt or Θ that has changed since: the persona is stale until fitted again. */
async function stalePrompts(store: PromptStore, m: PersonaModel): Promise<string[]> {
  const stale: string[] = [];
  for (const [name, hash] of Object.entries(m.provenance.prompts)) {
    if (name !== 'judge' && name !== 'persona-synthesis' && name !== 'bootstrap') continue;
    const now = await store.get(name).catch(() => undefined);
    if (now && now.hash !== hash) stale.push(name === 'persona-synthesis' ? 'persona-synthesis (Θ)' : name);
  }
  return stale;
}

/** How much of the model's context the persona and the whole judge prompt take (a long persona crowds out the pair). */
async function tokenCounts(
  folder: Folder,
  store: PromptStore,
  m: PersonaModel,
  pairs: Pair[],
): Promise<NonNullable<PersonaView['tokens']>> {
  const judge = await store.get('judge').catch(() => undefined);
  let demos: ReturnType<typeof demosOf> = [];
  try {
    demos = demosOf(m, pairs);
  } catch {
    // A demonstration whose pair is gone: the judge prompt cannot be built; the persona's own count still shows.
  }
  const numCtx = folder.files.config.numCtx;
  return {
    persona: estimateTextTokens(m.persona),
    ...(judge ? { judgePrompt: estimateTextTokens(judgeSystem(judge.text, { persona: m.persona, demos })) } : {}),
    ...(typeof numCtx === 'number' ? { context: numCtx } : {}),
  };
}
