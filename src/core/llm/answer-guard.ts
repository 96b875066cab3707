// Limits on one streamed answer, applied as the chunks arrive, so that a misbehaving model or server cannot
// hold a run or its memory: an answer past 1 MiB is cut (a 50 MB answer once took 2.2 GB and landed in a
// run file), and a structured answer that is complete but followed by nothing but whitespace is taken as
// it is (a JSON-constrained stream can pad with whitespace until the output cap or a timeout).

/** Characters kept of one answer; anything longer is cut and reported. */
export const MAX_ANSWER_CHARS = 1024 * 1024;
/** Whitespace after a complete JSON object before the stream is ended. */
const TRAILING_WHITESPACE_LIMIT = 256;

export type GuardVerdict = 'go' | 'too-large' | 'complete';

export class AnswerGuard {
  private trailing = 0;

  constructor(private readonly expectJson: boolean) {}

  /** Called with the text so far and the chunk just appended. */
  check(text: string, chunk: string): GuardVerdict {
    if (text.length > MAX_ANSWER_CHARS) return 'too-large';
    if (!this.expectJson) return 'go';
    if (chunk.trim() !== '') {
      this.trailing = 0;
      return 'go';
    }
    this.trailing += chunk.length;
    if (this.trailing < TRAILING_WHITESPACE_LIMIT) return 'go';
    this.trailing = 0;
    return isCompleteJson(text) ? 'complete' : 'go';
  }
}

function isCompleteJson(text: string): boolean {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}

/** What a provider does with a verdict: keep going, or end the stream with this text and finish reason. */
export function endOfAnswer(
  verdict: GuardVerdict,
  text: string,
): { text: string; finish: 'length' | 'stop' } | undefined {
  if (verdict === 'too-large') return { text: text.slice(0, MAX_ANSWER_CHARS), finish: 'length' };
  if (verdict === 'complete') return { text: text.trimEnd(), finish: 'stop' };
  return undefined;
}
