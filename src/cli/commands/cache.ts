// synthesizeme cache stats|clear: look at or empty a workspace's response cache.

import { relative, resolve } from 'node:path';
import { flag, stringOption, type Command } from '../command';
import { ResponseCache } from '../../core/llm';
import { readWorkspaceSettings, workspaceLayout } from '../../core/workspace';
import { allowWritesUnder, checkNamedFolder, checkWrite } from '../../core/write-guard';
import { checkRead } from '../../core/read-guard';
import { UsageError } from '../usage-error';

export const cacheCommand: Command = {
  name: 'cache',
  summary: 'show statistics of, clear, or prune the response cache',
  help: `Usage: synthesizeme cache stats|clear|prune [<workspace>] [--model NAME] [--cache-dir DIR] [--json]

  stats     entries, records, segment files, bytes, and unreadable (torn) lines skipped
  clear     delete every cached answer (the next run calls the model again)
  prune     delete the answers of one model (--model NAME), e.g. after a new version of it;
            run it while no other run is using the cache

The cache is <workspace>/.synthesizeme/cache unless the workspace settings or --cache-dir
say otherwise. The workspace defaults to the current folder.

Example:
  synthesizeme cache stats examples/workspace`,
  options: { 'cache-dir': { type: 'string' }, model: { type: 'string' }, json: { type: 'boolean' } },

  async run(args, io) {
    const [action, path = '.'] = args.positionals;
    if (action !== 'stats' && action !== 'clear' && action !== 'prune')
      throw new UsageError('cache: say stats, clear or prune (see synthesizeme cache --help)');
    const model = stringOption(args, 'model');
    if (action === 'prune' && !model) throw new UsageError('cache prune: say which model with --model NAME');
    const root = resolve(io.cwd, path);
    const given = stringOption(args, 'cache-dir');
    // The named folders follow the named-path rule, and the cache folder itself (from the settings too) is
    // read and written under the guards: clear and prune delete and rewrite segments, which must never be
    // another project's reached through a planted link.
    checkNamedFolder(root);
    if (given) {
      checkNamedFolder(resolve(io.cwd, given), 'the cache folder');
      allowWritesUnder(resolve(io.cwd, given));
    }
    const dir = given
      ? resolve(io.cwd, given)
      : workspaceLayout(root, await readWorkspaceSettings(root, flag(args, 'trust-workspace'))).cacheDir;
    await checkRead(dir);
    if (action !== 'stats') await checkWrite(dir);
    const cache = new ResponseCache(dir);
    try {
      const stats = await cache.stats();
      const rel = relative(io.cwd, dir) || '.';
      if (action === 'clear') await cache.clear();
      if (action === 'prune') {
        const removed = await cache.prune(model!);
        if (flag(args, 'json')) io.stdout(JSON.stringify({ dir: rel, model, removed }) + '\n');
        else io.stdout(`Removed ${removed} cached answer record(s) of ${model} from ${rel}\n`);
        return 0;
      }
      if (flag(args, 'json'))
        io.stdout(JSON.stringify({ ...stats, dir: rel, ...(action === 'clear' ? { cleared: true } : {}) }) + '\n');
      else if (action === 'clear')
        io.stdout(`Cleared ${stats.entries} cached answer(s) (${(stats.bytes / 1048576).toFixed(1)} MB) from ${rel}\n`);
      else
        io.stdout(
          `${rel}: ${stats.entries} answer(s) in ${stats.records} record(s), ${stats.segments} segment file(s), ` +
            `${(stats.bytes / 1048576).toFixed(1)} MB` +
            `${stats.unreadableLines ? `, ${stats.unreadableLines} unreadable line(s) skipped (torn writes)` : ''}\n`,
        );
      return 0;
    } finally {
      await cache.close();
    }
  },
};
