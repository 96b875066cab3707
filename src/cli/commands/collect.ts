// synthesizeme collect: grow a user's preference data. Two candidate responses per prompt, shown in a
// random recorded order; the answer is 1, 2, t (tie) or s (skip), optionally followed by a reason on
// the same line. Answers come from the terminal or standard input, or with the pairs from a file.

import { relative, resolve } from 'node:path';
import { flag, intOption, stringOption, type Command, type CommandIO, type ParsedArgs } from '../command';
import { modelOptionHelp, modelOptionSpec, openLlm, temperatureFrom } from '../model-options';
import { splitOptionHelp, splitOptionSpec } from '../split-options';
import { openForRun, openModel, rethrowCancelled, usageLine } from '../run-context';
import { UsageError } from '../usage-error';
import { type Llm } from '../../core/llm';
import { type Turn } from '../../core/data';
import {
  type Answer,
  type Asker,
  checkAppendable,
  collect,
  collectLogPath,
  collectStatus,
  type CollectStatus,
  DEFAULT_SYSTEM,
  type Item,
  pairKey,
  type Pick,
  type ResponseSource,
  type Shown,
} from '../../core/collect';
import { demosOf, exportGenerationPrompt, judgeSystem, personaStem, readUserPersonaFile } from '../../core/method';
import { previousPersonaVersion } from '../../core/eval';
import { defaultOf, personaHistoryDir } from '../../core/workspace';
import { readOwnText, READ_LIMITS, unlessRefused } from '../../core/read-guard';
import { allowNamedOutput, allowChosenRead, outside } from '../../core/write-guard';
import { createRng, shuffled } from '../../core/random';
import { UserError } from '../../core/user-error';

const HELP = `Usage: synthesizeme collect <workspace> --user ID [prompts] [sources] [options]

For each prompt, two candidate responses are generated and shown in a random order (recorded).
Answer 1 or 2 (the one you prefer), t (a tie: logged, not a pair) or s (skip), optionally followed
by a one-line reason: "2 shorter and to the point". Each pick is appended to the user's preference
file as a native pair (with the time, the sources, the order shown and the reason), in one write
that never rewrites a line; ties, skips, failed generations and retests go to
.synthesizeme/collect/<user>.jsonl. A new user id starts a new file.

Prompts (one of):
  --prompt TEXT              a prompt (repeat for several)
  --prompts-from FILE        one prompt per line, or JSONL with "context" (turns) or "prompt"
  --from-contexts            the user's own past conversations, in a seeded random order
  --pairs-from FILE          ready pairs, JSONL: {"context" | "prompt", "response_1", "response_2",
                             "answer"?: "1"|"2"|"t"|"s", "reason"?}; with "answer" nothing is asked
Sources of the two responses (default: --model with a plain system prompt, twice):
  --model-b NAME             the second response from another model (same server and provider)
  --system-a TEXT|@FILE      the first source's system prompt
  --system-b TEXT|@FILE      the second source's system prompt
  --persona                  the first source steered by the user's persona and demonstrations
                             (export --as generation), the second by the plain prompt
Choosing and checking:
  --ask-next N               generate N candidates at a time and ask the one the persona judge is
                             least sure about first (it disagrees with itself across the two
                             orders, or with the previous persona version); it says why
  --retest-rate R            share of asks that re-ask a past pick, reversed and unannounced
                             (default synthesizeme.collect.retestRate, 0.1; 0 turns it off; off
                             with answers from --pairs-from)
  --refit-after N            offer a re-fit after N pairs since the persona's fit
                             (default synthesizeme.collect.refitAfter, 10)
  --max N                    stop after N answered pairs
  --include-test             let collected pairs fall into the test split by the workspace's rule
                             (default: each gets an explicit context or validation split, so a test
                             set never grows or changes because pairs were collected)
  --file PATH                the preference file to append to (default: the user's own .jsonl or
                             YAML file, else <user>.prefs.jsonl in the workspace)
  --status                   report only: pairs collected, the person's test-retest agreement, and
                             the persona's accuracy on the pairs collected since its fit
  --json                     one JSON object at the end
${splitOptionHelp}
${modelOptionHelp}

Examples:
  synthesizeme collect examples/workspace --user ada --from-contexts --persona --max 10
  printf '1\\n2 too long\\nt\\n' | synthesizeme collect ws --user ada --prompt "How do I undo a commit?"`;

export const collectCommand: Command = {
  name: 'collect',
  summary: "collect a user's preferences: two responses per prompt, pick one, appended as pairs",
  help: HELP,
  options: {
    user: { type: 'string' },
    prompt: { type: 'string', multiple: true },
    'prompts-from': { type: 'string' },
    'from-contexts': { type: 'boolean' },
    'pairs-from': { type: 'string' },
    'model-b': { type: 'string' },
    'system-a': { type: 'string' },
    'system-b': { type: 'string' },
    persona: { type: 'boolean' },
    'ask-next': { type: 'string' },
    'retest-rate': { type: 'string' },
    'refit-after': { type: 'string' },
    max: { type: 'string' },
    file: { type: 'string' },
    'include-test': { type: 'boolean' },
    status: { type: 'boolean' },
    json: { type: 'boolean' },
    ...splitOptionSpec,
    ...modelOptionSpec,
  },

  async run(args, io) {
    const userId = stringOption(args, 'user');
    if (!userId?.trim()) throw new UsageError('collect: say whose preferences: --user ID (a new id starts a new user)');
    // The model options carry --dry-run ("call nothing"), but a session asks a person and appends what they
    // pick: there is nothing to estimate, and running it anyway generated and appended pairs.
    if (flag(args, 'dry-run'))
      throw new UsageError(
        'collect: --dry-run does not apply: a session asks you and appends your picks (each ask costs two generations; --max N bounds them)',
      );
    const { ws, users } = await openForRun(
      { ...args, values: { ...args.values, user: undefined, all: true } },
      io,
      'collect',
    );
    const entry = users.find((u) => u.id === userId);
    const rel = (p: string) => relative(io.cwd, p) || p;
    const json = flag(args, 'json');
    const temperature = stringOption(args, 'temperature') !== undefined ? temperatureFrom(args, ws.settings) : 0.7;
    // Defaults from the one settings table (synthesizeme.collect.*), as in VS Code.
    const refitAfter = intOption(
      args,
      'refit-after',
      ws.settings.collectRefitAfter ?? defaultOf('collectRefitAfter')!,
      1,
    );
    // Only a missing file is "no persona yet": a refused one (a link out, a FIFO) or a damaged one is said as it is.
    const found = entry ? await readUserPersonaFile(ws.layout.personaDir, userId, rel) : undefined;
    const llm = openModel(args, io, ws);
    let second: Llm | undefined;
    try {
      const judgePrompt = await ws.prompts.get('judge');
      const statusOf = async (): Promise<CollectStatus> => {
        const fresh = entry ? ws.index.user(userId) : undefined;
        return collectStatus(collectLogPath(ws.root, userId), fresh?.pairs ?? [], found?.model, {
          refitAfter,
          judge: { model: llm, instructions: judgePrompt.text, temperature: 0, seed: ws.split.seed, signal: io.signal },
        });
      };
      if (flag(args, 'status')) {
        const s = await statusOf();
        if (json) io.stdout(JSON.stringify({ user: userId, ...s }) + '\n');
        else io.stdout(statusText(userId, s, refitAfter));
        return 0;
      }

      // --file is inside the workspace (relative to it); the index names its files relative to the current folder.
      const given = stringOption(args, 'file');
      const own = defaultFile(entry?.pairs.map((p) => p.source.file) ?? []);
      const file =
        given !== undefined
          ? resolve(ws.root, given)
          : own
            ? resolve(io.cwd, own)
            : resolve(ws.root, `${personaStem(userId)}.prefs.jsonl`);
      // A --file named outside the workspace is the user's choice (the trust model): its folder may be written.
      if (given !== undefined && outside(file, ws.root)) allowNamedOutput(file);
      // Refused before anything is generated: a JSON array, a YAML mapping, a file with problems.
      const appender = await checkAppendable(file, rel(file));
      const items = await itemsFrom(args, io, entry?.pairs.map((p) => p.context) ?? [], ws.split.seed);
      const scripted = items.some((i) => 'answer' in i && i.answer !== undefined);
      const retestRate = scripted
        ? 0
        : Number(
            stringOption(args, 'retest-rate') ??
              String(ws.settings.collectRetestRate ?? defaultOf('collectRetestRate')!),
          );
      if (!(retestRate >= 0 && retestRate <= 0.5))
        throw new UsageError(
          `--retest-rate: expected a number in [0, 0.5], got "${stringOption(args, 'retest-rate')}"`,
        );

      // The two sources of responses.
      const systemOf = async (v: string | undefined) =>
        v === undefined
          ? DEFAULT_SYSTEM
          : v.startsWith('@')
            ? (await readChosen(resolve(io.cwd, v.slice(1)), 'system prompt file', READ_LIMITS.text)).trim()
            : v;
      const modelB = stringOption(args, 'model-b');
      if (modelB)
        second = openLlm({ ...args, values: { ...args.values, model: modelB } }, io, ws.settings, ws.layout.cacheDir);
      let systemA = await systemOf(stringOption(args, 'system-a'));
      let labelA = llm.model;
      if (flag(args, 'persona')) {
        if (!found) throw new UserError(`--persona: user "${userId}" has no persona yet: fit first`, 2);
        systemA = exportGenerationPrompt(found.model, demosOf(found.model, entry?.pairs ?? []));
        labelA = `${llm.model} + persona`;
      } else if (stringOption(args, 'system-a')) labelA = `${llm.model} + system A`;
      const systemB = await systemOf(stringOption(args, 'system-b'));
      const bModel = second ?? llm;
      const labelB = `${bModel.model}${stringOption(args, 'system-b') ? ' + system B' : ''}`;
      const sources: [ResponseSource, ResponseSource] = [
        { label: labelA, model: llm, system: systemA },
        { label: labelB === labelA ? `${labelB} (2)` : labelB, model: bModel, system: systemB },
      ];

      // Ask next: the persona judge (and the previous persona version) chooses among N candidates.
      let poolSize =
        stringOption(args, 'ask-next') !== undefined
          ? intOption(args, 'ask-next', 3, 2)
          : (ws.settings.collectAskNext ?? defaultOf('collectAskNext')!);
      if (poolSize && !found && stringOption(args, 'ask-next') === undefined) {
        io.stderr(
          `note: synthesizeme.collect.askNext is ${poolSize}, but user "${userId}" has no persona to judge with yet: the pairs are asked in order\n`,
        );
        poolSize = 0;
      }
      let informative: Parameters<typeof collect>[0]['informative'];
      if (poolSize) {
        if (!found)
          throw new UserError(
            `--ask-next: user "${userId}" has no persona to judge with yet: fit first (or collect without --ask-next)`,
            2,
          );
        const pairs = entry?.pairs ?? [];
        const current = judgeSystem(judgePrompt.text, {
          persona: found.model.persona,
          demos: demosOf(found.model, pairs),
        });
        // An unreadable history is no comparison, but a refused version (planted link, FIFO) is said, not passed over.
        const prev = await unlessRefused(previousPersonaVersion(personaHistoryDir(ws.layout, userId), found.model));
        let previous: string | undefined;
        try {
          if (prev)
            previous = judgeSystem(judgePrompt.text, {
              persona: prev.model.persona,
              demos: demosOf(prev.model, pairs),
            });
        } catch {
          previous = undefined; // an older version whose demonstrations are gone: the current persona alone decides
        }
        informative = { judge: llm, systems: { current, ...(previous ? { previous } : {}) }, poolSize };
      }

      const asker = scripted ? fileAsker(items) : terminalAsker(io);
      const maxRaw = stringOption(args, 'max');
      const summary = await collect({
        userId,
        file,
        fileName: relative(ws.root, file) || file,
        root: ws.root,
        items,
        sources,
        asker,
        seed: Date.now(),
        temperature,
        retestRate,
        newPairs: { seed: ws.split.seed, ratios: ws.split.ratios, includeTest: flag(args, 'include-test') },
        ...(maxRaw !== undefined ? { max: intOption(args, 'max', 10, 1) } : {}),
        ...(informative ? { informative } : {}),
        signal: io.signal,
        onNote: (m) => io.stderr(`note: ${m}\n`),
        appender,
      });
      const fresh = await statusAfter(ws.root, userId, found?.model, refitAfter);
      if (json)
        io.stdout(
          JSON.stringify({ user: userId, file: rel(file), ...summary, status: fresh, usage: usageLine(llm) }) + '\n',
        );
      else {
        io.stdout(
          `${userId}: ${summary.picked - summary.pending.length} pair(s) appended to ${rel(file)}, ${summary.ties} tie(s), ${summary.skipped} skipped, ${summary.failed} failed generation(s)` +
            `${summary.retests ? `; retests: ${summary.agreed} of ${summary.retests} agreed with the first answer` : ''}\n`,
        );
        io.stdout(statusText(userId, fresh, refitAfter));
        io.stderr(`${usageLine(llm)}\n`);
      }
      if (summary.pending.length) {
        // Nothing is lost, but the file does not have them yet: the run did not finish its work.
        io.stderr(
          `${summary.pending.length} pick(s) are kept in ${rel(collectLogPath(ws.root, userId))}, not yet in ${rel(file)}: the next collect into it appends them once the file reads again\n`,
        );
        return 1;
      }
      return summary.failed && !summary.picked && !summary.ties && !summary.skipped ? 1 : 0;
    } catch (err) {
      return rethrowCancelled(err, io, `synthesizeme ${process.argv.slice(2).join(' ')}`);
    } finally {
      await llm.dispose();
      await second?.dispose();
    }
  },
};

/** The status without judging (the counts, the agreement, whether to re-fit); `--status` adds the out-of-sample accuracy. */
function statusAfter(
  root: string,
  userId: string,
  persona: Parameters<typeof collectStatus>[2],
  refitAfter: number,
): Promise<CollectStatus> {
  return collectStatus(collectLogPath(root, userId), [], persona, { refitAfter });
}

export function statusText(userId: string, s: CollectStatus, refitAfter: number): string {
  const lines = [`${userId}: ${s.collected} pair(s) collected, ${s.ties} tie(s), ${s.skipped} skipped`];
  if (s.retest.asked)
    lines.push(
      `  test-retest agreement: ${(100 * s.retest.rate!).toFixed(1)}% (${s.retest.agreed} of ${s.retest.asked}): the person's own consistency, a ceiling for any judge of this user${s.retest.asked < 10 ? ' (fewer than 10 retests: a rough estimate)' : ''}`,
    );
  if (s.outOfSample) {
    const o = s.outOfSample;
    lines.push(
      `  the persona on the ${o.pairs} pair(s) collected since its fit: ${(100 * o.accuracy).toFixed(1)}% (95% CI ${(100 * o.ci95[0]).toFixed(1)} to ${(100 * o.ci95[1]).toFixed(1)}), out of sample${o.pairs < 10 ? `; with ${o.pairs} pair(s) the interval is wide` : ''}${o.failed ? `; ${o.failed} pair(s) left out, their calls failed` : ''}`,
    );
  }
  if (s.refit)
    lines.push(
      `  ${s.sinceFit} new pair(s) since the persona was fitted (at least ${refitAfter}): re-fit with synthesizeme fit <workspace> --user ${userId}`,
    );
  return lines.join('\n') + '\n';
}

/** The user's own appendable file (the first .jsonl, else YAML), if any. */
function defaultFile(files: string[]): string | undefined {
  const own = [...new Set(files)];
  return own.find((f) => /\.jsonl$/i.test(f)) ?? own.find((f) => /\.ya?ml$/i.test(f));
}

type FileItem = Item & { answer?: Answer };

const userTurn = (content: string): Turn[] => [{ role: 'user', content }];

function contextOf(o: Record<string, unknown>, where: string): Turn[] {
  if (typeof o.prompt === 'string' && o.prompt.trim()) return userTurn(o.prompt);
  if (
    Array.isArray(o.context) &&
    o.context.every((t) => t && typeof (t as Turn).role === 'string' && typeof (t as Turn).content === 'string')
  )
    return o.context as Turn[];
  throw new UsageError(`${where}: expected "prompt" (text) or "context" (a list of {role, content})`);
}

function parseAnswer(line: string): Answer | undefined {
  const m = /^\s*([12ts])(?:\s+(.*))?$/i.exec(line);
  if (!m) return undefined;
  return { pick: m[1]!.toLowerCase() as Pick, ...(m[2]?.trim() ? { reason: m[2].trim() } : {}) };
}

async function itemsFrom(args: ParsedArgs, io: CommandIO, pastContexts: Turn[][], seed: number): Promise<FileItem[]> {
  const given = [
    args.values.prompt !== undefined,
    stringOption(args, 'prompts-from') !== undefined,
    flag(args, 'from-contexts'),
    stringOption(args, 'pairs-from') !== undefined,
  ].filter(Boolean).length;
  if (given !== 1)
    throw new UsageError(
      'collect: give the prompts one way: --prompt, --prompts-from, --from-contexts or --pairs-from',
    );
  const prompts = args.values.prompt;
  if (prompts !== undefined)
    return (Array.isArray(prompts) ? prompts : [prompts])
      .map(String)
      .filter((p) => p.trim())
      .map((p) => ({ kind: 'prompt', context: userTurn(p) }));
  if (flag(args, 'from-contexts')) {
    if (!pastContexts.length)
      throw new UsageError(
        '--from-contexts: the user has no past conversations yet (a new user: give --prompt or --prompts-from)',
      );
    return shuffled(pastContexts, createRng(`${seed}:collect-contexts`)).map((context) => ({
      kind: 'prompt',
      context,
    }));
  }
  const path = resolve(io.cwd, (stringOption(args, 'prompts-from') ?? stringOption(args, 'pairs-from'))!);
  const name = relative(io.cwd, path) || path;
  const lines = (await readChosen(path, 'pool file', READ_LIMITS.log))
    .split('\n')
    .map((l, i) => [l, i + 1] as const)
    .filter(([l]) => l.trim());
  if (stringOption(args, 'prompts-from') !== undefined) {
    return lines.map(([l, n]) => {
      if (!l.trimStart().startsWith('{'))
        return { kind: 'prompt', context: userTurn(l.trim()), origin: `${name}:${n}` };
      return {
        kind: 'prompt',
        context: contextOf(jsonLine(l, `${path}:${n}`), `${path}:${n}`),
        origin: `${name}:${n}`,
      };
    });
  }
  return lines.map(([l, n]): FileItem => {
    const where = `${path}:${n}`;
    const o = jsonLine(l, where);
    const r1 = o.response_1;
    const r2 = o.response_2;
    if (typeof r1 !== 'string' || typeof r2 !== 'string' || !r1.trim() || !r2.trim())
      throw new UsageError(`${where}: expected "response_1" and "response_2" (non-empty text)`);
    const answer =
      o.answer === undefined
        ? undefined
        : parseAnswer(`${String(o.answer)}${typeof o.reason === 'string' ? ` ${o.reason}` : ''}`);
    if (o.answer !== undefined && !answer) throw new UsageError(`${where}: "answer" must be "1", "2", "t" or "s"`);
    return {
      kind: 'pair',
      context: contextOf(o, where),
      responses: [r1, r2],
      sources: ['response_1', 'response_2'],
      origin: `${name}:${n}`,
      ...(answer ? { answer } : {}),
    };
  });
}

/**
 * A file named on the command line (a pool, a system prompt), under the read rules: outside the workspace it is the person's
 * choice; inside it, a link out of the workspace is refused; a FIFO or a device is never opened.
 */
async function readChosen(path: string, what: string, maxBytes: number): Promise<string> {
  allowChosenRead(path);
  try {
    return await readOwnText(path, { maxBytes, what });
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

function jsonLine(line: string, where: string): Record<string, unknown> {
  try {
    const v = JSON.parse(line) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new UsageError(`${where}: not a JSON object`);
}

/**
 * Answers written in the pairs file, found by the key of what is asked (item-key.ts). A line that repeats
 * an earlier one is asked once (the session says so), with the earlier line's answer.
 */
function fileAsker(items: FileItem[]): Asker {
  const byKey = new Map<string, Extract<FileItem, { kind: 'pair' }>>();
  for (const i of items) {
    const key = i.kind === 'pair' ? pairKey(i.context, i.responses) : undefined;
    if (key && i.kind === 'pair' && !byKey.has(key)) byKey.set(key, i);
  }
  return {
    ask: async (s: Shown) => {
      const item = s.key === undefined ? undefined : byKey.get(s.key);
      const a = item?.answer;
      if (!item || !a || a.pick === 't' || a.pick === 's') return a;
      // The file says which of response_1 and response_2; the shown order is random.
      const wanted = item.responses[a.pick === '1' ? 0 : 1];
      return { ...a, pick: wanted === s.first ? '1' : '2' };
    },
  };
}

/** Answers typed in a terminal, or lines of standard input: "1", "2 shorter", "t", "s"; the end of input ends the session. */
function terminalAsker(io: CommandIO): Asker {
  if (!io.readLine)
    throw new UsageError('collect: no standard input to read answers from (give --pairs-from with "answer" fields)');
  const read = io.readLine;
  return {
    ask: async (s: Shown) => {
      const show = (t: string) =>
        t
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n');
      io.stderr(`\n--- pair ${s.index}${s.why ? ` (asked next because ${s.why})` : ''} ---\n`);
      for (const t of s.context) io.stderr(`[${t.role}]\n${show(t.content)}\n`);
      io.stderr(
        `\n[1]\n${show(s.first)}\n\n[2]\n${show(s.second)}\n\n1 or 2 (your choice), t (tie), s (skip), then an optional reason: `,
      );
      for (;;) {
        const line = await read();
        if (line === undefined) return undefined;
        const a = parseAnswer(line);
        if (a) return a;
        io.stderr(`"${line.slice(0, 40)}": answer 1, 2, t or s (then an optional reason): `);
      }
    },
  };
}
