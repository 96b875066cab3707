// --similar-users M and --embed-model NAME, read once for every command that evaluates (eval): each user's prompt
// also reads what is known of the M nearest other users, found by the chat server's embeddings endpoint
// (core/eval/similar-eval.ts). Which server and key are the engine's (core/llm/embeddings.ts): this only gathers.

import { intOption, stringOption, type CommandIO, type OptionSpec, type ParsedArgs } from './command';
import { type Embedder, type Llm, openEmbedder } from '../core/llm';
import type { WorkspaceSettings } from '../core/workspace';
import { sideClientOptions } from './side-client-options';

export const similarOptionSpec: OptionSpec = {
  'similar-users': { type: 'string' },
  'embed-model': { type: 'string' },
};

export const similarOptionHelp = `  --similar-users M          the persona methods also read the personas (and up to 2 verified demos, from
                             context pairs only) of each user's M most similar other users, by the cosine of
                             their embeddings (persona, else context pairs); default 0: none
  --embed-model NAME         the model that embeds users, on the chat model's server (default
                             synthesizeme.similar.embedModel, else the chat model); Ollama's /api/embed
                             or the OpenAI-compatible /v1/embeddings`;

/** M and the embedder, or {} without --similar-users; on the chat model's cache and key. */
export function openSimilarFor(
  args: ParsedArgs,
  io: CommandIO,
  settings: Pick<WorkspaceSettings, 'apiKeyEnv' | 'embedModel'>,
  chat: Llm,
  run: { cacheDir: string },
): { similarUsers?: number; embedder?: Embedder } {
  const m = intOption(args, 'similar-users', 0, 0);
  if (!m) return {};
  const embedder = openEmbedder(
    chat.config,
    stringOption(args, 'embed-model') ?? settings.embedModel,
    sideClientOptions(args, io, settings, run),
  );
  return { similarUsers: m, embedder };
}
