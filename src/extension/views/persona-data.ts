// What the Persona Inspector shows, gathered from files: the persona file, the pairs its demos
// refer to, the history folder and the newest run files that judged the user with it.

import * as vscode from 'vscode';
import { PromptStore } from '../../core/method';
import { type Pair } from '../../core/data';
import { accuracyHeadline } from '../../core/eval';
import type { Folder } from '../folders';
import type { FigureView, PersonaView } from '../protocol';
import { readPersonaOf } from '../commands/run-inputs';

function turnText(p: Pair): { conversation: string; chosen: string; rejected: string } {
  return {
    conversation: p.context.map((t) => `${t.role}: ${t.content}`).join('\n\n'),
    chosen: p.chosen.content,
    rejected: p.rejected.content,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function personaView(folder: Folder, userId: string): Promise<PersonaView | null> {
  const p = await readPersonaOf(folder, userId);
  if (!p) return null;
  const [index, layout, { personaHistoryDir }, { readRun }] = await Promise.all([
    folder.files.get(),
    folder.files.layout(),
    import('../../core/workspace/layout'),
    import('../../core/eval/run-file'),
  ]);
  const pairs = new Map((index.user(userId)?.pairs ?? []).map((x) => [x.pairId, x]));
  const m = p.model;
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

  const figures: FigureView[] = [];
  if (m.provenance.validation) {
    figures.push({
      label: m.provenance.edited ? 'validation (last re-validation)' : 'validation (at fit)',
      accuracy: m.provenance.validation.accuracy,
      samples: m.provenance.validation.evaluated,
      pairs: m.provenance.validation.evaluated,
    });
  }
  // The newest finished persona+demos runs that judged this user with this exact persona text.
  try {
    const runs = (await vscode.workspace.fs.readDirectory(vscode.Uri.file(layout.runsDir)))
      .map(([n]) => n)
      .filter((n) => n.startsWith('persona-demos-') && n.endsWith('.run.jsonl'));
    const seen = new Set<string>();
    const withTime: { name: string; mtime: number }[] = [];
    for (const name of runs)
      withTime.push({
        name,
        mtime: (await vscode.workspace.fs.stat(vscode.Uri.file(`${layout.runsDir}/${name}`))).mtime,
      });
    for (const { name } of withTime.sort((a, b) => b.mtime - a.mtime)) {
      const run = await readRun(`${layout.runsDir}/${name}`);
      const split = run.header?.split;
      if (!split || seen.has(split) || run.header?.inputs[`persona:${userId}`] !== p.hash) continue;
      const u = run.summary?.users.find((x) => x.id === userId);
      if (!u) continue;
      seen.add(split);
      // An incomplete run (failed calls left out) is shown as such, never as a finished figure.
      figures.push({
        label: `${split} (both orders)${run.summary?.complete === false ? `, INCOMPLETE: ${run.summary.failed?.calls ?? '?'} failed call(s) left out` : ''}`,
        accuracy: u.accuracy,
        ci95: u.ci95,
        consistency: u.consistency,
        samples: u.samples,
        pairs: u.pairs,
      });
    }
  } catch {
    // No runs yet.
  }

  let history: { name: string; path: string }[] = [];
  try {
    const dir = personaHistoryDir(layout, userId);
    history = (await vscode.workspace.fs.readDirectory(vscode.Uri.file(dir)))
      .map(([n]) => n)
      .filter((n) => n.endsWith('.persona.yaml'))
      .sort()
      .reverse()
      .map((n) => ({ name: n.replace(/\.persona\.yaml$/, ''), path: folder.relative(`${dir}/${n}`) }));
  } catch {
    // No history yet.
  }

  // Fitted with a judge prompt or Θ that has changed since: the persona is stale until fitted again.
  const store = new PromptStore(layout.promptDir);
  const stale: string[] = [];
  for (const [name, hash] of Object.entries(m.provenance.prompts)) {
    if (name !== 'judge' && name !== 'persona-synthesis' && name !== 'bootstrap') continue;
    const now = await store.get(name).catch(() => undefined);
    if (now && now.hash !== hash) stale.push(name === 'persona-synthesis' ? 'persona-synthesis (Θ)' : name);
  }

  // How much of the model's context the persona and the whole judge prompt take (a long persona crowds out the pair).
  const [{ estimateTextTokens }, { judgeSystem }, { demosOf }] = await Promise.all([
    import('../../core/llm/estimate'),
    import('../../core/method/messages'),
    import('../../core/method/methods'),
  ]);
  const judge = await store.get('judge').catch(() => undefined);
  let demos: ReturnType<typeof demosOf> = [];
  try {
    demos = demosOf(m, [...pairs.values()]);
  } catch {
    // A demonstration whose pair is gone: the judge prompt cannot be built; the persona's own count still shows.
  }
  const numCtx = folder.files.config.numCtx;
  const tokens = {
    persona: estimateTextTokens(m.persona),
    ...(judge ? { judgePrompt: estimateTextTokens(judgeSystem(judge.text, { persona: m.persona, demos })) } : {}),
    ...(typeof numCtx === 'number' ? { context: numCtx } : {}),
  };

  return {
    userId,
    path: folder.relative(p.path),
    tokens,
    ...(stale.length ? { stale } : {}),
    persona: m.persona,
    provenance: prov,
    demos: m.demos.map((d) => {
      const pair = pairs.get(d.pairId);
      return {
        pairId: d.pairId,
        ...(d.file !== undefined ? { file: d.file } : pair ? { file: pair.source.file } : {}),
        ...(d.line !== undefined ? { line: d.line } : pair ? { line: pair.source.line } : {}),
        order: d.order,
        preference: d.preference,
        reasoning: d.reasoning,
        ...(pair ? turnText(pair) : { conversation: '', chosen: '', rejected: '' }),
      };
    }),
    figures,
    history,
  };
}

export function figureText(f: FigureView): string {
  return `${accuracyHeadline(f.accuracy, f.ci95, f.pairs ?? Number.POSITIVE_INFINITY)}${f.consistency !== undefined ? `, consistency ${pct(f.consistency)}` : ''}`;
}
