// Classifying a preference file's pairs as personalizable, as one engine job shared by `synthesizeme
// classify` and VS Code's "Classify Pairs as Personalizable": read the pairs (prepareClassify), estimate
// the calls (estimateClassify), classify them (runClassify) and, when asked, write the Markdown report.

import type { Llm } from '../llm/client';
import type { RunEstimate } from '../llm/estimate';
import { usageSince, type UsageSnapshot } from '../llm/usage';
import type { Pair } from '../data/pair';
import type { Problem } from '../data/pair';
import { formatOf } from '../data/file-text';
import { parseText, readPreferenceFile } from '../data/read-file';
import { personalizableMessages } from '../method/messages';
import { PERSONALIZABLE_SCHEMA } from '../method/schemas';
import { checkNamedDataFile } from '../read-guard';
import { UserError } from '../user-error';
import { writeBenchText } from './bench-output';
import { classifyPairs, type Classification } from './classify';

/** A file on disk, or the text an editor holds for it (saved or not). */
export type ClassifySource = { path: string; display: string; text?: string };

export interface ClassifyInputs {
  source: ClassifySource;
  model: Llm;
  instructions: string;
  temperature: number;
  seed: number;
  /** Where the Markdown report is written; absent: it is only returned. */
  reportFile?: string;
  /** Prefix of the errors (`classify: ...`). */
  command?: string;
  /** Words an error of a call in the report (VS Code's own advice); default as the engine says it. */
  errorText?: (error: string) => string;
}

export interface ClassifyPlan {
  inputs: ClassifyInputs;
  pairs: Pair[];
  problems: Problem[];
}

export interface ClassifyOutcome {
  results: Classification[];
  pairs: number;
  personalizable: number;
  notPersonalizable: number;
  unlabelled: number;
  markdown: string;
  reportFile?: string;
  usage: UsageSnapshot;
}

/**
 * Reads the pairs: a file under the read guard (its folder is its workspace: a link planted at the named
 * path is not followed out of it, and its text never reaches the server), or an editor's text. Problems go to
 * `onProblems` before a file with no valid pair is refused.
 */
export async function prepareClassify(
  inputs: ClassifyInputs,
  opts: { signal?: AbortSignal; onProblems?: (problems: readonly Problem[]) => void } = {},
): Promise<ClassifyPlan> {
  const { path, display, text } = inputs.source;
  const said = (message: string) => (inputs.command ? `${inputs.command}: ${message}` : message);
  let parse;
  if (text !== undefined) {
    const format = formatOf(path);
    if (!format) throw new UserError(said(`${display} is not a preference file (.jsonl, .json or .yaml)`), 2);
    parse = parseText(text, display, format);
  } else {
    await checkNamedDataFile(path, inputs.command);
    parse = await readPreferenceFile(path, display, opts.signal);
  }
  opts.onProblems?.(parse.problems);
  if (!parse.pairs.length) throw new UserError(said(`no valid preference pair in ${display}`), 2);
  return { inputs, pairs: parse.pairs, problems: parse.problems };
}

/** The dry run: one call per pair (the cache's answers counted apart); retries are not included. */
export function estimateClassify(plan: ClassifyPlan): Promise<RunEstimate> {
  const { inputs } = plan;
  return inputs.model.estimate(
    plan.pairs.map((p) => ({
      messages: personalizableMessages(inputs.instructions, p),
      schema: PERSONALIZABLE_SCHEMA,
      temperature: inputs.temperature,
      seed: inputs.seed,
    })),
    { defaultCompletionTokens: 60 },
  );
}

export async function runClassify(
  plan: ClassifyPlan,
  hooks: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<ClassifyOutcome> {
  const { inputs, pairs } = plan;
  const before = inputs.model.counters();
  let done = 0;
  const results = await classifyPairs(inputs.model, inputs.instructions, pairs, {
    temperature: inputs.temperature,
    seed: inputs.seed,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    onResult: () => hooks.onProgress?.(++done, pairs.length),
  });
  const yes = results.filter((r) => r.personalizable === true).length;
  const no = results.filter((r) => r.personalizable === false).length;
  const markdown = classifyMarkdown(inputs.source.display, results, inputs.model.model, inputs.errorText);
  if (inputs.reportFile) await writeBenchText(inputs.reportFile, markdown);
  return {
    results,
    pairs: results.length,
    personalizable: yes,
    notPersonalizable: no,
    unlabelled: results.length - yes - no,
    markdown,
    ...(inputs.reportFile ? { reportFile: inputs.reportFile } : {}),
    usage: usageSince(before, inputs.model.counters()),
  };
}

/** A classification in a line: `personalizable`, `not personalizable` or `no label`. */
export function labelText(r: Classification): string {
  return r.personalizable === null ? 'no label' : r.personalizable ? 'personalizable' : 'not personalizable';
}

/** Model text inside a Markdown table cell: one line, no pipes, no HTML. */
export function mdCell(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/[|<>\\`*_[\]]/g, (c) => `\\${c}`)
    .trim();
}

export function classifyMarkdown(
  file: string,
  results: readonly Classification[],
  model: string,
  errorText: (error: string) => string = (e) => e,
): string {
  const yes = results.filter((r) => r.personalizable === true).length;
  const no = results.filter((r) => r.personalizable === false).length;
  const lines = [
    `# Personalizable pairs: ${file}`,
    '',
    `${yes} of ${results.length} pair(s) personalizable, ${no} not, ${results.length - yes - no} without a label (${model}).`,
    '',
  ];
  lines.push('| pair | user | personalizable | reason |', '| --- | --- | --- | --- |');
  for (const r of results) {
    const label = r.personalizable === null ? 'no label' : r.personalizable ? 'yes' : 'no';
    const reason = mdCell(r.error ? errorText(r.error) : r.reason);
    lines.push(`| ${mdCell(r.pairId)} | ${mdCell(r.userId)} | ${label} | ${reason} |`);
  }
  return lines.join('\n') + '\n';
}
