// The Persona Inspector's nearest users: the users `--similar-users` would give the shown user's prompt, found by the
// engine's own search (nearestUsersOf) with the folder's embedding model and cache. Ids and similarities only: no
// pair's text is shown, and only personas and context pairs are ever embedded.

import { nearestUsersOf, similarPool } from '../../core/eval';
import type { Folder } from '../folders';
import { editorErrorText } from '../error-notice';
import { readPersonaOf } from '../persona-of';
import type { NearestUsersView } from '../protocol';

/** How many are listed: a glance at who is near, more than a run usually reads (`--similar-users 1` to 3). */
export const INSPECTOR_NEAREST = 5;

export const NO_EMBED_MODEL =
  'No embedding model is set: set synthesizeme.similar.embedModel to a model the server embeds with ' +
  "(Ollama: `ollama pull nomic-embed-text`; llama.cpp's server started with `--embeddings`) to list the nearest users.";

export async function nearestUsersView(
  folder: Folder,
  userId: string,
  signal?: AbortSignal,
): Promise<NearestUsersView> {
  const embedder = await folder.model.openEmbedder().catch((err: unknown) => err as Error);
  if (!embedder) return { userId, users: [], message: NO_EMBED_MODEL };
  if (embedder instanceof Error) return { userId, users: [], message: editorErrorText(embedder) };
  const embedModel = embedder.model;
  try {
    const index = await folder.files.get();
    // A persona that cannot be read is no neighbour (the run would refuse it; the list just leaves it out).
    const pool = await similarPool(index.users(), (id) => readPersonaOf(folder, id).catch(() => undefined));
    const found = await nearestUsersOf(userId, pool, {
      m: INSPECTOR_NEAREST,
      embedder,
      ...(signal ? { signal } : {}),
    });
    const base = { userId, embedModel, users: found.nearest };
    if (!found.embedded)
      return { ...base, message: `${userId} has nothing to embed: no persona and no context pairs.` };
    if (!found.nearest.length)
      return {
        ...base,
        embedded: found.embedded,
        message: 'No other user has a persona to compare with yet: fit other users first.',
      };
    return { ...base, embedded: found.embedded };
  } catch (err) {
    return { userId, embedModel, users: [], message: editorErrorText(err) };
  } finally {
    await embedder.dispose();
  }
}
