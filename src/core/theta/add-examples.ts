// `theta add-example`: writes worked examples into Θ from verified fits. A fit is verified when its
// persona file's validation accuracy (the chosen demonstration set with the persona, on the user's
// validation pairs) reaches the bar; the example's input is that user's first stage (the fit's own,
// replayed with the fit's settings, so a user fitted with the current prompts costs no call), its
// output the persona file's persona (hand edits included) and the synthesis's reasoning.
//
// One example per user: adding a user again replaces theirs. The old Θ is kept in the prompt's
// history (savePrompt), and Θ's checks leave these users out from then on (their data is in Θ).

import type { ChatModel } from '../llm/types';
import type { UserEntry } from '../data/workspace-index';
import type { PromptStore } from '../method/prompt-store';
import { savePrompt } from '../method/prompt-store';
import { readUserPersonaFile } from '../method/persona-file';
import { pairsBySplit } from '../workspace/open-workspace';
import type { WorkspaceLayout } from '../workspace/layout';
import { synthesisInput } from '../method/messages';
import { firstStage } from '../method/first-stage';
import { composeTheta, parseTheta, type WorkedExample } from '../method/worked-examples';
import { UserError } from '../user-error';
import { percent as pct } from '../percent';

export interface AddExamplesInputs {
  layout: WorkspaceLayout;
  prompts: PromptStore;
  users: readonly UserEntry[];
  model: ChatModel;
  seed: number;
  /** The validation accuracy a fit must reach to be a worked example. */
  minValidation: number;
  signal?: AbortSignal;
  display?: (path: string) => string;
}

export interface AddExamplesResult {
  added: { user: string; validation: number; replaced: boolean }[];
  refused: { user: string; reason: string }[];
  /** The Θ file, when it was written. */
  written?: { path: string; previous?: string };
  examples: number;
}

export async function addWorkedExamples(inp: AddExamplesInputs): Promise<AddExamplesResult> {
  const show = inp.display ?? ((p: string) => p);
  const theta = await inp.prompts.get('persona-synthesis');
  const prompts = {
    bootstrap: await inp.prompts.get('bootstrap'),
    personaSynthesis: theta,
    judge: await inp.prompts.get('judge'),
  };
  const parts = parseTheta(theta.text, theta.path);
  const examples = [...parts.examples];
  const added: AddExamplesResult['added'] = [];
  const refused: AddExamplesResult['refused'] = [];
  for (const u of inp.users) {
    const found = await readUserPersonaFile(inp.layout.personaDir, u.id, show);
    if (!found) {
      refused.push({ user: u.id, reason: 'no persona file: fit the user first' });
      continue;
    }
    const prov = found.model.provenance;
    const accuracy = prov.validation?.accuracy;
    if (accuracy === undefined || !prov.validation?.evaluated) {
      refused.push({ user: u.id, reason: 'the persona file records no validation score, so the fit is not verified' });
      continue;
    }
    if (accuracy < inp.minValidation) {
      refused.push({
        user: u.id,
        reason:
          `validation accuracy ${pct(accuracy)} (${prov.validation.correct}/${prov.validation.evaluated}) ` +
          `is under the bar of ${pct(inp.minValidation)}`,
      });
      continue;
    }
    const s = pairsBySplit(u);
    // The fit's own first stage, with the settings it was made with (a file without a demo count fitted with none).
    const stage = await firstStage(inp.model, u.id, s.context, s.validation, prompts, {
      temperature: prov.temperature,
      seed: inp.seed,
      k: prov.k,
      stopScore: prov.stopScore,
      labeledDemos: prov.labeledDemos ?? 0,
      ...(inp.signal ? { signal: inp.signal } : {}),
    });
    const example: WorkedExample = {
      userId: u.id,
      note:
        `fit of ${prov.created.slice(0, 10) || 'unknown date'} with ${prov.model}, validation ${pct(accuracy)}` +
        `${prov.edited ? ', persona edited by hand' : ''}`,
      input: synthesisInput(stage.examples),
      reasoning: found.model.personaReasoning ?? '',
      persona: found.model.persona,
    };
    const at = examples.findIndex((e) => e.userId === u.id);
    if (at >= 0) examples[at] = example;
    else examples.push(example);
    added.push({ user: u.id, validation: accuracy, replaced: at >= 0 });
  }
  if (!added.length) {
    if (!refused.length) throw new UserError('theta add-example: no user given', 2);
    return { added, refused, examples: examples.length };
  }
  const written = await savePrompt(
    inp.layout.promptDir,
    inp.layout.historyDir,
    'persona-synthesis',
    composeTheta(parts.instructions, examples),
    'worked example',
  );
  return {
    added,
    refused,
    written: { path: written.path, ...(written.previous ? { previous: written.previous } : {}) },
    examples: examples.length,
  };
}
