// synthesizeme judge: one pair, both orders, with or without a persona.

import { dirname, resolve } from 'node:path';
import { flag, intOption, stringOption, type Command } from '../command';
import { modelOptionHelp, modelOptionSpec, openLlm, temperatureFrom } from '../model-options';
import { commandLine, usageJson, rethrowCancelled } from '../run-context';
import { loadWorkspace, readPreferenceFile } from '../../core/data';
import {
  demosOf,
  judgePair,
  judgeSystem,
  loadPersona,
  orderFailed,
  pairVerdictText,
  PromptStore,
} from '../../core/method';
import { readWorkspaceSettingsWithNotes, workspaceLayout } from '../../core/workspace';
import {
  allowChosenRead,
  allowWritesUnder,
  checkNamedFolder,
  chooseFileToRead,
  nearestRealFolder,
} from '../../core/write-guard';
import { checkRead } from '../../core/read-guard';
import { UsageError } from '../usage-error';

export const judgeCommand: Command = {
  name: 'judge',
  summary: 'judge one pair of a preference file in both orders',
  help: `Usage: synthesizeme judge <file> (--pair ID | --line N) [--persona FILE] [--workspace DIR] [options]

Asks the model which response the user would prefer, with the pair shown in both orders.
With --persona, the judge gets the persona and its demonstrations (resolved in the workspace:
--workspace, default the file's folder).

Options:
  --pair ID | --line N       which pair of the file
  --persona FILE             a persona model file (personas/<user>.persona.yaml)
  --workspace DIR            where prompts, cache and demo pairs live (default: the file's folder)
  --json                     one JSON object with both verdicts
${modelOptionHelp}

Example:
  synthesizeme judge examples/workspace/ada.prefs.jsonl --line 3 --persona examples/workspace/personas/ada.persona.yaml`,
  options: {
    pair: { type: 'string' },
    line: { type: 'string' },
    persona: { type: 'string' },
    workspace: { type: 'string' },
    json: { type: 'boolean' },
    seed: { type: 'string' },
    ...modelOptionSpec,
  },

  async run(args, io) {
    const file = args.positionals[0];
    if (!file) throw new UsageError('judge: give a preference file (see synthesizeme judge --help)');
    const pairId = stringOption(args, 'pair');
    const line = stringOption(args, 'line') !== undefined ? intOption(args, 'line', 1, 1) : undefined;
    if ((pairId === undefined) === (line === undefined))
      throw new UsageError('judge: give exactly one of --pair ID or --line N');
    // Without --workspace the file's folder is its workspace; a folder that is a link (planted beside the
    // user's data) is not, or its target would be trusted: the nearest real folder above it is.
    const root =
      stringOption(args, 'workspace') !== undefined
        ? resolve(io.cwd, stringOption(args, 'workspace')!)
        : nearestRealFolder(dirname(resolve(io.cwd, file)));
    // The workspace is registered before the file is read: a link planted at the named path inside it is
    // not followed out of it (its text would go to the server); a file named outside it is the user's choice.
    if (stringOption(args, 'workspace') !== undefined) checkNamedFolder(root);
    allowWritesUnder(root);
    allowChosenRead(resolve(io.cwd, file));
    await checkRead(resolve(io.cwd, file));
    const parsed = await readPreferenceFile(resolve(io.cwd, file), file);
    if (parsed.problems.some((p) => /file not found|not a preference file/.test(p.message)))
      throw new UsageError(`judge: ${file}: ${parsed.problems[0]!.message}`);
    const pair = parsed.pairs.find((p) =>
      pairId !== undefined ? p.pairId === pairId : p.source.line <= line! && line! <= p.source.endLine,
    );
    if (!pair) {
      const bad = line !== undefined ? parsed.problems.find((p) => p.line === line) : undefined;
      throw new UsageError(
        `judge: ${file}: no pair ${pairId !== undefined ? `"${pairId}"` : `at line ${line}`}${bad ? ` (${bad.message})` : ''}`,
      );
    }
    // --dry-run (a model option: "call nothing") stops here, before a prompt file or the cache is written.
    if (flag(args, 'dry-run')) {
      io.stdout(
        flag(args, 'json')
          ? JSON.stringify({ calls: 2, pair: pair.pairId }) + '\n'
          : `Dry run: judging pair ${pair.pairId} makes 2 call(s), one per order; nothing was called or written.\n`,
      );
      return 0;
    }
    const { settings, ignored } = await readWorkspaceSettingsWithNotes(root, flag(args, 'trust-workspace'));
    for (const line of ignored) io.stderr(`note: ${line}\n`);
    const layout = workspaceLayout(root, settings);
    const prompts = new PromptStore(layout.promptDir);
    const judge = await prompts.get('judge');
    let profile = {};
    const personaPath = stringOption(args, 'persona');
    if (personaPath) {
      // Named on the command line: read wherever it is (inside the workspace, a link out of it is still refused).
      chooseFileToRead(resolve(io.cwd, personaPath));
      const persona = await loadPersona(resolve(io.cwd, personaPath), personaPath);
      if (persona.userId !== pair.userId)
        io.stderr(`warning: the persona is for user "${persona.userId}", the pair is from user "${pair.userId}"\n`);
      const index = await loadWorkspace([root], { cwd: io.cwd });
      profile = { persona: persona.persona, demos: demosOf(persona, index.user(persona.userId)?.pairs ?? []) };
    }
    const llm = openLlm(args, io, settings, layout.cacheDir);
    try {
      const seed = intOption(args, 'seed', settings.seed ?? 0);
      const v = await judgePair(llm, judgeSystem(judge.text, profile), pair, {
        temperature: temperatureFrom(args, settings),
        seed,
        signal: io.signal,
      });
      if (flag(args, 'json')) io.stdout(JSON.stringify({ ...v, ...usageJson(llm) }) + '\n');
      else io.stdout(pairVerdictText(v));
      // A failed call is no answer (METHOD.md section 4): the verdict is incomplete, and the command failed.
      const failed = v.orders.filter(orderFailed);
      if (failed.length) {
        io.stderr(
          `judge: ${failed.length} of 2 call(s) failed (${failed.map((o) => o.error ?? 'no answer').join('; ')}): ` +
            `no verdict for ${failed.map((o) => `order ${o.order}`).join(' and ')}. Run the same command again.\n`,
        );
        return 1;
      }
      return 0;
    } catch (err) {
      return rethrowCancelled(err, io, commandLine('judge', args));
    } finally {
      await llm.dispose();
    }
  },
};
