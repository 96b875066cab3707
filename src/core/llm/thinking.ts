// Reasoning models think before they answer, in one of two places: a separate field (Ollama's
// message.thinking, the reasoning_content of vLLM and llama-server) or `<think>...</think>` blocks inside the
// content (Qwen3, DeepSeek-R1 and their templates when the server does not split them). The providers fold
// the separate field into the text as a `<think>` block, so the cache keeps one representation; here the
// blocks are taken out before the answer is parsed. A judge's JSON must come from the answer, never from the
// thinking (which often holds a draft {"preference": ...} of its own).

const OPEN = /<think(?:ing)?>/i;
const CLOSE = /<\/think(?:ing)?>/i;

export interface SplitAnswer {
  answer: string;
  /** The thinking text, blocks joined; undefined when there was none. */
  thinking?: string;
}

export function splitThinking(text: string): SplitAnswer {
  if (!OPEN.test(text) && !CLOSE.test(text)) return { answer: text };
  const thoughts: string[] = [];
  let rest = text;
  // A template that opens the block in the prompt leaves only its close in the answer: all before it is thought.
  const firstClose = CLOSE.exec(rest);
  const firstOpen = OPEN.exec(rest);
  if (firstClose && (!firstOpen || firstClose.index < firstOpen.index)) {
    thoughts.push(rest.slice(0, firstClose.index));
    rest = rest.slice(firstClose.index + firstClose[0].length);
  }
  let answer = '';
  for (;;) {
    const open = OPEN.exec(rest);
    if (!open) {
      answer += rest;
      break;
    }
    answer += rest.slice(0, open.index);
    rest = rest.slice(open.index + open[0].length);
    const close = CLOSE.exec(rest);
    if (!close) {
      // Never closed (cut off by the output cap, or a model that stopped): all of it was thinking.
      thoughts.push(rest);
      break;
    }
    thoughts.push(rest.slice(0, close.index));
    rest = rest.slice(close.index + close[0].length);
  }
  const thinking = thoughts
    .map((t) => t.trim())
    .filter(Boolean)
    .join('\n\n');
  return { answer: answer.trim(), ...(thinking ? { thinking } : {}) };
}

/** A separate thinking field, folded into the text so that one string carries the whole reply. */
export function withThinking(thinking: string, text: string): string {
  return thinking.trim() ? `<think>${thinking}</think>${text}` : text;
}
