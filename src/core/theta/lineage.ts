// The record of a Θ search, `.synthesizeme/theta/<run>/`:
//   run.json                 what the search was (models, budget, seed, prompts, users by role, plan) and how it ended
//   lineage.json             every candidate: its parent(s), origin, step, status (and why), minibatch, scores per user
//   candidates/<id>.prompt.md  every candidate's text, rejected ones included
//   report.md                the Markdown report (report.ts)
// The folder is named by a hash of what the search is, so that running the same command again (to
// resume after Ctrl+C) writes into the same folder. Files are rewritten whole after every step,
// through a temporary file, so a reader never sees half of one.

import { join } from 'node:path';
import { mkdirChecked } from '../write-guard';
import { replaceWhole } from '../atomic-write';
import { textHash } from '../text-hash';
import { accuracyOn, type Candidate } from './pool';

export function thetaRunId(identity: unknown): string {
  return textHash(JSON.stringify(identity)).slice('sha256:'.length, 'sha256:'.length + 12);
}

export function thetaRunDir(stateDir: string, runId: string): string {
  return join(stateDir, 'theta', runId);
}

export function candidateFile(id: number): string {
  return `${String(id).padStart(3, '0')}.prompt.md`;
}

/** A candidate as the lineage records it (episodes reduced to scores and personas). */
export function candidateRecord(c: Candidate, selection: readonly string[]) {
  const sel = accuracyOn(c, selection);
  return {
    id: c.id,
    parents: c.parents,
    origin: c.origin,
    step: c.step,
    status: c.status,
    ...(c.reason ? { reason: c.reason } : {}),
    hash: c.hash,
    file: `candidates/${candidateFile(c.id)}`,
    ...(c.diagnosis ? { diagnosis: c.diagnosis } : {}),
    ...(c.minibatch ? { minibatch: c.minibatch } : {}),
    selection: sel.samples ? { correct: sel.correct, samples: sel.samples, accuracy: sel.accuracy } : null,
    scores: Object.fromEntries(
      [...c.scores]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([u, s]) => [
          u,
          {
            correct: s.correct,
            samples: s.samples,
            accuracy: s.samples ? s.correct / s.samples : 0,
            persona: s.persona,
          },
        ]),
    ),
  };
}

export class LineageWriter {
  private readonly written = new Set<number>();

  constructor(readonly dir: string) {}

  private async put(name: string, text: string): Promise<void> {
    await replaceWhole(join(this.dir, name), text, 'Θ lineage file');
  }

  async start(run: Record<string, unknown>): Promise<void> {
    await mkdirChecked(join(this.dir, 'candidates'));
    await this.put('run.json', JSON.stringify(run, null, 2) + '\n');
  }

  async update(
    run: Record<string, unknown>,
    candidates: readonly Candidate[],
    selection: readonly string[],
  ): Promise<void> {
    for (const c of candidates) {
      if (this.written.has(c.id)) continue;
      await this.put(join('candidates', candidateFile(c.id)), c.text.endsWith('\n') ? c.text : `${c.text}\n`);
      this.written.add(c.id);
    }
    await this.put(
      'lineage.json',
      JSON.stringify({ candidates: candidates.map((c) => candidateRecord(c, selection)) }, null, 2) + '\n',
    );
    await this.put('run.json', JSON.stringify(run, null, 2) + '\n');
  }

  async report(markdown: string): Promise<void> {
    await this.put('report.md', markdown);
  }
}
