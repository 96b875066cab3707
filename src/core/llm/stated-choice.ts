// The choice a prose answer states, when a model wrote no JSON (a server without structured output, a
// chatty small model). Only an unambiguous statement counts: the whole answer ("B", "**Response B**"), a
// labelled value ("Preference: B", "Final answer: A."), a named reply ("Response B is better"), "prefers B",
// or a last line holding only the value. A letter that may be a word never counts: in "prefers a concise
// reply" or "Answer: A good reply would..." the letter is an article. An answer whose statements name two
// different values states nothing: it is unparseable, never read as the first or the last.

const WRAP_OPEN = `["'*_\`(\\[]*`;
const WRAP_CLOSE = `["'*_\`)\\]]*`;
const NAMES = 'response|reply|option|output|assistant|answer';
const LABELS = 'final answer|answer|verdict|choice|winner|preferred(?: response| reply)?|better (?:response|reply)(?: is)?|i prefer';
/**
 * What may follow a labelled letter: the end, punctuation, or a word that goes on a statement about it.
 * "Answer: A good reply..." goes on a noun phrase: there the A is an article.
 */
const STATEMENT_END = `(?=\\s*$|\\s*[.,;:!?)\\]"'*_\`]|\\s+(?:is|was|wins|would|because|since|as|over|here|overall|by)\\b|\\s*[-\u2013\u2014(])`;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The value of `values` (such as ['A', 'B']) that `text` states, or undefined when it states none or
 * more than one. Single-letter values count in upper case only, except where nothing but the value
 * follows a label or fills the answer ("preference: b", "b").
 */
export function statedChoice(text: string, values: readonly string[]): string | undefined {
  const canonical = (raw: string): string | undefined => values.find((v) => v.toLowerCase() === raw.toLowerCase());
  const strict = (raw: string): string | undefined => values.find((v) => v === raw || (v.length > 1 && v.toLowerCase() === raw.toLowerCase()));
  const alternatives = values.map(escapeRe).join('|');
  const value = `(${alternatives})`;

  const whole = new RegExp(`^\\s*${WRAP_OPEN}(?:(?:${NAMES})\\s*)?${WRAP_OPEN}${value}${WRAP_CLOSE}[\\s.!]*$`, 'i').exec(text);
  if (whole) return canonical(whole[1]!);

  const statements = (re: RegExp, read: (m: RegExpExecArray) => string | undefined): Set<string> => {
    const found = new Set<string>();
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const v = read(m);
      if (v !== undefined) found.add(v);
    }
    return found;
  };
  // "Preference: B", "Final answer is A.": a lower-case letter only where nothing follows it on its line.
  const labelled = new RegExp(`(?:^|[^\\w])(?:preference|${LABELS})["'*_\`]*\\s*(?:[:=]|is)\\s*${WRAP_OPEN}(?:(?:${NAMES})\\s+)?${WRAP_OPEN}${value}(?![\\w])${WRAP_CLOSE}${STATEMENT_END}`, 'gi');
  const restOfLineEmpty = (m: RegExpExecArray) => /^[\s.!]*(?:\n|$)/.test(text.slice(m.index + m[0].length));
  const byLabel = statements(labelled, (m) => strict(m[1]!) ?? (restOfLineEmpty(m) ? canonical(m[1]!) : undefined));
  // A labelled statement outranks replies named in passing ("Response A is verbose... Preference: B").
  if (byLabel.size) return byLabel.size === 1 ? [...byLabel][0] : undefined;
  // "Response B", "prefers B": the letter in upper case, right after the word that names a reply.
  const named = new RegExp(`(?:^|[^\\w])(?:${NAMES}|prefers?|preferred)\\s+${WRAP_OPEN}${value}(?![\\w])`, 'gi');
  const byName = statements(named, (m) => strict(m[1]!));
  if (byName.size) return byName.size === 1 ? [...byName][0] : undefined;

  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const last = lines[lines.length - 1];
  const m = last ? new RegExp(`^${WRAP_OPEN}(?:(?:${NAMES})\\s*)?${WRAP_OPEN}${value}${WRAP_CLOSE}[\\s.!]*$`, 'i').exec(last) : null;
  return m ? canonical(m[1]!) : undefined;
}
