// VS Code's language-model API takes no output cap (nor a temperature or seed): a request states none, and a model
// may stream for as long as it likes. The engine's cap is kept on this side: the answer is read until its estimated
// tokens are clearly past the cap (the estimate may run a third high, so an answer within its cap is not cut), then
// the stream is left and the answer is marked cut ('length'), as a server that stops at max_tokens marks it, so that
// the engine refuses it where it needs the whole answer. No `vscode` here.

import { clearlyOverContext, estimateTextTokens } from '../../core/llm';

export interface CappedText {
  text: string;
  /** True when the answer passed the cap and was left there. */
  cut: boolean;
}

/** Reads `pieces` into one text, each piece also to `onText`; stops clearly past `cap` tokens (none: no cap). */
export async function readCapped(
  pieces: AsyncIterable<string>,
  cap: number | undefined,
  onText?: (piece: string) => void,
): Promise<CappedText> {
  let text = '';
  for await (const piece of pieces) {
    text += piece;
    onText?.(piece);
    // The estimate reads the length only: no cost per piece however long the answer.
    if (clearlyOverContext(estimateTextTokens(text), cap)) return { text, cut: true };
  }
  return { text, cut: false };
}
