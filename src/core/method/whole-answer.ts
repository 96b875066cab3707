// Calls whose answer becomes data (a persona, a memory, a bootstrap reasoning kept as a demonstration)
// need the whole answer. One cut at its output cap, or far past what the cap can hold whatever the
// server's finish reason and count say (pastCap: judged by the client, which knows the cap it sent and
// caches no such answer), is a failed call (CutAnswerError); it is asked once more with twice the room,
// and if that is cut too the call fails with both caps named, so that the caller fails this one user's
// work and says why. A model that loops until any cap fails after two calls.

import type { ChatModel, ChatRequest, ChatResult } from '../llm/types';
import { CutAnswerError } from '../llm/cut-answer';

/** How much more room the second call gets. */
export const ROOM_FACTOR = 2;

export async function chatWhole(model: ChatModel, request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
  try {
    return await model.chat({ ...request, wholeAnswer: true }, signal);
  } catch (err) {
    if (!(err instanceof CutAnswerError) || err.cap <= 0) throw err;
    const room = err.cap * ROOM_FACTOR;
    try {
      return await model.chat({ ...request, wholeAnswer: true, maxTokens: room }, signal);
    } catch (again) {
      if (!(again instanceof CutAnswerError)) throw again;
      throw new CutAnswerError(
        again.cap,
        request.purpose,
        { provider: again.provider, model: again.model },
        err.cap,
        again.chars,
      );
    }
  }
}
