// Text a model copied instead of wrote: runs of five or more consecutive words shared with a source (a
// user's conversation, a chosen or rejected response). A small model asked for a persona or a reasoning
// sometimes returns one of the responses word for word; judged on the same user's pairs, such a persona can
// even score well, and nothing else would say it is no description of the user. One home for the rule: the
// fit flags a copying persona and prefers demonstrations whose reasonings copy nothing, the Persona
// Inspector shows the runs, and the Θ search's copy guard (theta/guards.ts) rejects a copying candidate.
//
// A run counts only when it holds at least two content words, so that "one of the most" or "it is a good"
// shared with some answer is no copy.

import { hashString } from '../random';

/** Consecutive words shared with a source that make a copy. */
export const COPY_RUN = 5;

export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  `a about above after again against all almost also although always am among an and another any anyone
  anything are aren't around as at away be because been before being below between both but by can can't
  cannot could couldn't did didn't do does doesn't doing don't done down during each either else enough
  even ever every few for from further get gets getting give given go going got had hadn't has hasn't
  have haven't having he her here hers herself him himself his how however i i'd i'll i'm i've if in
  into is isn't it it's its itself just least less let like lot lots made make many may me might mine
  more most much must my myself near need needs neither never no nor not now of off often on once one
  only or other others otherwise our ours ourselves out over own per perhaps please quite rather really
  same shall she should shouldn't since so some someone something sometimes still such than that that's
  the their theirs them themselves then there there's these they they're thing things this those though
  through thus to too toward towards under until up upon us very via was wasn't way ways we we're were
  weren't what what's when where whether which while who whom whose why will with within without won't
  would wouldn't yes yet you you'd you'll you're you've your yours yourself yourselves`.split(/\s+/),
);

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

/** Words as the copy rule sees them: lower case, letters and digits (an apostrophe inside a word kept). */
export function words(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
}

/** The words with where each starts and ends in the text (NFKC-normalized; the spans index that form). */
function wordSpans(text: string): { word: string; start: number; end: number }[] {
  const t = text.normalize('NFKC');
  return [...t.matchAll(WORD)].map((m) => ({ word: m[0].toLowerCase(), start: m.index, end: m.index + m[0].length }));
}

export function isContentWord(w: string): boolean {
  return !FUNCTION_WORDS.has(w) && !/^\d+$/.test(w);
}

/** A run that counts: at least two content words. */
export function isContentfulRun(run: readonly string[]): boolean {
  return run.filter(isContentWord).length >= 2;
}

/** A 53-bit hash of a run of words: two 32-bit hashes, so that a large data set gives no false copies. */
export function runHash(run: readonly string[]): number {
  const s = run.join(' ');
  return hashString(s) * 2 ** 21 + (hashString(`\u0001${s}`) & 0x1fffff);
}

/** A text a copy may come from, named for the report: e.g. `{ id: 'p3', part: 'chosen response', text }`. */
export interface CopySource {
  id: string;
  part: string;
  text: string;
}

export interface CopiedRun {
  /** The copied words as the checked text has them. */
  text: string;
  words: number;
  /** The source that holds the whole run (else the one its first five words come from). */
  source: string;
  part: string;
}

/**
 * The runs of COPY_RUN or more consecutive words that `text` shares with any source, longest first: each run
 * is maximal (every window of five words in it is in some source) and has a window of two content words or more.
 */
export function copiedRuns(text: string, sources: readonly CopySource[]): CopiedRun[] {
  // Every window of the sources: a copied passage runs on through "your own starter is a", but only a run with
  // a window of two content words or more counts.
  const from = new Map<number, { source: CopySource; contentful: boolean }>();
  for (const s of sources) {
    const ws = words(s.text);
    for (let i = 0; i + COPY_RUN <= ws.length; i++) {
      const run = ws.slice(i, i + COPY_RUN);
      const h = runHash(run);
      if (!from.has(h)) from.set(h, { source: s, contentful: isContentfulRun(run) });
    }
  }
  if (!from.size) return [];
  const spans = wordSpans(text);
  const shown = text.normalize('NFKC');
  const hit = (i: number) => from.get(runHash(spans.slice(i, i + COPY_RUN).map((s) => s.word)));
  const joined = new Map<CopySource, string>();
  /** The source that holds the whole run, else the one its first five words come from. */
  const sourceOf = (run: string, first: CopySource): CopySource => {
    for (const s of sources) {
      let j = joined.get(s);
      if (j === undefined) joined.set(s, (j = ` ${words(s.text).join(' ')} `));
      if (j.includes(` ${run} `)) return s;
    }
    return first;
  };
  const out: CopiedRun[] = [];
  for (let i = 0; i + COPY_RUN <= spans.length;) {
    const first = hit(i);
    if (!first) {
      i++;
      continue;
    }
    let j = i + 1;
    let contentful = first.contentful;
    for (let h; j + COPY_RUN <= spans.length && (h = hit(j)); j++) contentful ||= h.contentful;
    const last = j + COPY_RUN - 2;
    if (!contentful) {
      i = j;
      continue;
    }
    const run = spans.slice(i, last + 1).map((s) => s.word);
    const src = sourceOf(run.join(' '), first.source);
    out.push({
      text: shown.slice(spans[i]!.start, spans[last]!.end),
      words: run.length,
      source: src.id,
      part: src.part,
    });
    i = last + 1;
  }
  return out.sort((a, b) => b.words - a.words);
}

/** The parts of a pair a copy can come from: its conversation and both responses. */
export function pairSources(p: {
  pairId: string;
  context: readonly { content: string }[];
  chosen: { content: string };
  rejected: { content: string };
}): CopySource[] {
  return [
    ...p.context.map((t) => ({ id: p.pairId, part: 'conversation', text: t.content })),
    { id: p.pairId, part: 'chosen response', text: p.chosen.content },
    { id: p.pairId, part: 'rejected response', text: p.rejected.content },
  ];
}

/** One line for people: `copies 23 words of pair p3's chosen response: "…"` (the longest run, cut to `max` chars). */
export function copiedRunText(r: CopiedRun, max = 160): string {
  const shown = r.text.length > max ? `${r.text.slice(0, max - 1)}…` : r.text;
  return `copies ${r.words} consecutive words of pair ${r.source}'s ${r.part}: "${shown}"`;
}

/**
 * What a fit found copied, in one sentence for the fit's summary in both faces (undefined when nothing was):
 * `the persona copies 23 consecutive words of pair p3's chosen response: "…"; 1 chosen reasoning copies a response`.
 */
export function copiesNote(
  copies: { persona?: readonly CopiedRun[]; reasonings?: readonly { pairId: string; run: CopiedRun }[] } | undefined,
): string | undefined {
  const parts: string[] = [];
  const longest = copies?.persona?.[0];
  if (longest) parts.push(`the persona ${copiedRunText(longest)}: read it before trusting its figures`);
  const n = copies?.reasonings?.length ?? 0;
  if (n)
    parts.push(`${n} chosen reasoning(s) copy a response (${copies!.reasonings!.map((r) => r.pairId).join(', ')})`);
  return parts.length ? parts.join('; ') : undefined;
}
