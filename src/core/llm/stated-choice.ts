// The choice a prose answer states, when a model wrote no JSON (a server without structured output, a
// chatty small model). Only an explicit verdict counts:
//   - the whole answer is the value ("B", "**Response B**"), or a last line holds only the value;
//   - a labelled value ("Preference: B", "Final answer: A.", "Winner: Response B because ...");
//   - a sentence that names one reply and states a positive choice of it ("Response B is better",
//     "I prefer Response B", "the user prefers B", "I would go with Response B").
// A reply named in passing is no verdict: "Response A is worse", "I would not choose Response A" and
// "Response A is better than B? No. B is." once read as A. A sentence with a negation, a comparison
// against something, a condition or a question states no choice; a sentence naming both replies with verdict
// words makes the answer ambiguous. A letter that may be a word never counts: an article ("prefers a
// concise reply", "Answer: A good reply..."), or part of a word ("A-grade", "B-movie"). An answer whose
// statements name two different values states nothing: it is unparseable, never read as the first or the last.

const WRAP_OPEN = `["'*_\`(\\[]*`;
const WRAP_CLOSE = `["'*_\`)\\]]*`;
const NAMES = 'response|reply|option|output|assistant|answer';
const LABELS =
  'final answer|answer|verdict|choice|winner|preferred(?: response| reply)?|better (?:response|reply)(?: is)?|i prefer';
/** The end of a value: not a letter of a longer word, nor the head of a compound ("A-grade", "B-movie"). */
const VALUE_END = `(?![\\w]|-\\w)`;
/**
 * What may follow a labelled letter: the end, punctuation, or a word that goes on a statement about it.
 * "Answer: A good reply..." goes on a noun phrase: there the A is an article. A question mark ends no
 * statement ("The answer is A?").
 */
const STATEMENT_END =
  `(?=\\s*$|\\s*[.,;:!)\\]"'*_\`]|` +
  `\\s+(?:is|was|wins|would|because|since|as|over|here|overall|by)\\b|` +
  `\\s*[-\u2013\u2014(])`;
/** Words that choose a reply. */
const CHOOSING = new RegExp(
  '\\b(?:better|best|prefer|prefers|preferred|preferable|choose|chooses|chose|pick|picks|picked|' +
    'select|selects|selected|go(?:es|ing)? with|winner|wins|superior|stronger|' +
    'more (?:helpful|suitable|appropriate|useful|relevant|accurate|aligned)|suits|fits|matches|' +
    '(?:gives|provides|offers|delivers|does) (?:one|it|that|this|so|exactly))\\b',
  'i',
);
/**
 * Words that turn a statement about a reply into something else than its choice: negation, comparison
 * against, condition.
 */
const NOT_CHOOSING = new RegExp(
  '\\b(?:not|no|never|none|nor|neither|nothing|cannot|worse|worst|less|least|inferior|weaker|than|instead|' +
    'fails?|failed|lacks?|lacking|misses|wrong|incorrect|unhelpful|poor|poorly|badly|if|unless|whether|too \\w+)\\b|' +
    "n['\\u2019]t\\b",
  'i',
);
/** Words that judge a reply at all: a sentence naming both replies with any of them is ambiguous. */
const judges = (s: string) => CHOOSING.test(s) || NOT_CHOOSING.test(s);

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Reading {
  values: readonly string[];
  value: string;
  canonical: (raw: string) => string | undefined;
  strict: (raw: string) => string | undefined;
}

/**
 * The value of `values` (such as ['A', 'B']) that `text` states, or undefined when it states none or
 * more than one. Single-letter values count in upper case only, except where nothing but the value
 * follows a label or fills the answer ("preference: b", "b").
 */
export function statedChoice(text: string, values: readonly string[]): string | undefined {
  const r: Reading = {
    values,
    value: `(${values.map(escapeRe).join('|')})`,
    canonical: (raw) => values.find((v) => v.toLowerCase() === raw.toLowerCase()),
    strict: (raw) => values.find((v) => v === raw || (v.length > 1 && v.toLowerCase() === raw.toLowerCase())),
  };
  const whole = new RegExp(
    `^\\s*${WRAP_OPEN}(?:(?:${NAMES})\\s*)?${WRAP_OPEN}${r.value}${WRAP_CLOSE}[\\s.!]*$`,
    'i',
  ).exec(text);
  if (whole) return r.canonical(whole[1]!);
  // A labelled statement outranks replies named in passing ("Response A is verbose... Preference: B").
  const byLabel = labelledChoices(text, r);
  if (byLabel.size) return only(byLabel);
  const bySentence = sentenceChoices(text, r);
  if (bySentence === 'ambiguous') return undefined;
  const last = lastLineChoice(text, r);
  if (last !== undefined) bySentence.add(last);
  return only(bySentence);
}

const only = (found: Set<string>): string | undefined => (found.size === 1 ? [...found][0] : undefined);

function matches(text: string, re: RegExp): RegExpExecArray[] {
  const found: RegExpExecArray[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) found.push(m);
  return found;
}

/** "Preference: B", "Final answer is A.": a lower-case letter only where nothing follows it on its line. */
function labelledChoices(text: string, r: Reading): Set<string> {
  const labelled = new RegExp(
    `(?:^|[^\\w])(?:preference|${LABELS})["'*_\`]*\\s*(?:[:=]|is)\\s*${WRAP_OPEN}(?:(?:${NAMES})\\s+)?` +
      `${WRAP_OPEN}${r.value}${VALUE_END}${WRAP_CLOSE}${STATEMENT_END}`,
    'gi',
  );
  const found = new Set<string>();
  for (const m of matches(text, labelled)) {
    const rest = text.slice(m.index + m[0].length);
    // "Verdict: A is worse" goes on to say the opposite of a choice: the clause after the value decides.
    const clause = /^[^,.;:!?\n]*/.exec(rest)![0];
    if (NOT_CHOOSING.test(clause) || /^[^.!\n]*\?/.test(rest)) continue;
    const restOfLineEmpty = /^[\s.!]*(?:\n|$)/.test(rest);
    const v = r.strict(m[1]!) ?? (restOfLineEmpty ? r.canonical(m[1]!) : undefined);
    if (v !== undefined) found.add(v);
  }
  return found;
}

/**
 * The replies that sentences choose: a sentence names one reply ("Response B", "prefers B", "go with B",
 * the letter in upper case) and says it is chosen, with no negation, comparison against, condition or
 * question. A sentence that names both replies and judges is ambiguous, whatever the others say.
 */
function sentenceChoices(text: string, r: Reading): Set<string> | 'ambiguous' {
  const named = new RegExp(
    `(?:^|[^\\w])(?:${NAMES}|prefers?|preferred|choose|chose|pick|picked|select|selected|go(?:es|ing)? with)\\s+` +
      `(?:(?:${NAMES})\\s+)?${WRAP_OPEN}${r.value}${VALUE_END}`,
    'gi',
  );
  const found = new Set<string>();
  for (const sentence of text.split(/(?<=[.!?])\s+|\n+/)) {
    const replies = new Set(
      matches(sentence, named)
        .map((m) => r.strict(m[1]!))
        .filter((v) => v !== undefined),
    );
    if (replies.size > 1 && judges(sentence)) return 'ambiguous';
    if (replies.size !== 1 || /\?\W*$/.test(sentence)) continue;
    if (CHOOSING.test(sentence) && !NOT_CHOOSING.test(sentence)) found.add([...replies][0]!);
  }
  return found;
}

/** A last line holding only the value ("...reasoning.\nB"). */
function lastLineChoice(text: string, r: Reading): string | undefined {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines[lines.length - 1];
  const m = last
    ? new RegExp(`^${WRAP_OPEN}(?:(?:${NAMES})\\s*)?${WRAP_OPEN}${r.value}${WRAP_CLOSE}[\\s.!]*$`, 'i').exec(last)
    : null;
  return m ? r.canonical(m[1]!) : undefined;
}
