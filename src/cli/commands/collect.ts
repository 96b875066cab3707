// synthesizeme collect: grow a user's preference data. Two candidate responses per prompt, shown in a
// random recorded order; the answer is 1, 2, t (tie) or s (skip), optionally followed by a reason on
// the same line. Answers come from the terminal or standard input, or with the pairs from a file.

import { relative, resolve } from 'node:path';
import { flag, intOption, stringOption, type Command, type CommandIO, type ParsedArgs } from '../command';
import { modelOptionHelp, modelOptionSpec, openLlmFor, temperatureFrom } from '../model-options';
import { splitOptionHelp, splitOptionSpec } from '../split-options';
import { openForRun, openModel, rethrowCancelled, usageLine } from '../run-context';
import { UsageError } from '../usage-error';
import { Progress } from '../progress';
import { type Llm } from '../../core/llm';
import { type Turn, type UserEntry } from '../../core/data';
import {
  type Answer,
  type Asker,
  collectLogPath,
  type CollectOutcome,
  type CollectPlan,
  type CollectSources,
  type CollectStatus,
  type GenerationProgress,
  generationText,
  type Item,
  judgedCollectStatus,
  pairKey,
  type Pick,
  planCollect,
  runCollect,
  type Shown,
} from '../../core/collect';
import { type PersonaModel, readUserPersonaFile } from '../../core/method';
import { defaultOf, type Workspace } from '../../core/workspace';
import { readOwnText, READ_LIMITS } from '../../core/read-guard';
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
        'collect: --dry-run does not apply: a session asks you and appends your picks ' +
          '(each ask costs two generations; --max N bounds them)',
      );
    const { ws, users } = await openForRun(
      { ...args, values: { ...args.values, user: undefined, all: true } },
      io,
      'collect',
    );
    const entry = users.find((u) => u.id === userId);
    const rel = (p: string) => relative(io.cwd, p) || p;
    // Defaults from the one settings table (synthesizeme.collect.*), as in VS Code.
    const refitAfter = intOption(
      args,
      'refit-after',
      ws.settings.collectRefitAfter ?? defaultOf('collectRefitAfter')!,
      1,
    );
    // Only a missing file is "no persona yet": a refused one (a link out, a FIFO) or a damaged one is said as it is.
    const persona = entry ? (await readUserPersonaFile(ws.layout.personaDir, userId, rel))?.model : undefined;
    const llm = openModel(args, io, ws);
    try {
      const face: Face = { args, io, ws, userId, entry, persona, llm, refitAfter, rel };
      if (flag(args, 'status')) return await reportStatus(face);
      const { plan, asker } = await planFromArgs(face);
      for (const note of plan.notes) io.stderr(`note: ${note}\n`);
      const outcome = await runCollect(plan, asker, {
        signal: io.signal,
        onNote: (m) => io.stderr(`note: ${m}\n`),
        onGeneration: generationPrinter(io),
      });
      return report(face, plan, outcome);
    } catch (err) {
      return rethrowCancelled(err, io, `synthesizeme ${process.argv.slice(2).join(' ')}`);
    } finally {
      await llm.dispose();
    }
  },
};

/**
 * How far a pair's generation has come (a slow model takes minutes): redrawn on a terminal and cleared when both
 * responses are in; in a log, a line every few seconds once a generation is slow, so fast runs print nothing more.
 */
function generationPrinter(io: CommandIO): (g: GenerationProgress) => void {
  const progress = new Progress(io.stderr, io.isTTY);
  return (g) => {
    if (g.finished === 2) return progress.done();
    if (io.isTTY || g.elapsedMs >= SLOW_GENERATION_MS) progress.status('collect', generationText(g));
  };
}

/** A generation this long is said in a log (a terminal says every one as it streams). */
const SLOW_GENERATION_MS = 5000;

/** What the steps of a run share: the parsed command, its workspace, the user and the model. */
interface Face {
  args: ParsedArgs;
  io: CommandIO;
  ws: Workspace;
  userId: string;
  entry: UserEntry | undefined;
  persona: PersonaModel | undefined;
  llm: Llm;
  refitAfter: number;
  rel: (path: string) => string;
}

/** --status: the counts, the agreement and the persona judged on the pairs collected since its fit. */
async function reportStatus(f: Face): Promise<number> {
  const s = await judgedCollectStatus({
    root: f.ws.root,
    userId: f.userId,
    pairs: (f.entry ? f.ws.index.user(f.userId)?.pairs : undefined) ?? [],
    persona: f.persona,
    refitAfter: f.refitAfter,
    model: f.llm,
    prompts: f.ws.prompts,
    seed: f.ws.split.seed,
    signal: f.io.signal,
  });
  if (flag(f.args, 'json')) f.io.stdout(JSON.stringify({ user: f.userId, ...s }) + '\n');
  else f.io.stdout(statusText(f.userId, s, f.refitAfter));
  return 0;
}

/** The options as the engine's plan (which decides the file, the sources, the settings), and who answers. */
async function planFromArgs(f: Face): Promise<{ plan: CollectPlan; asker: Asker }> {
  const { args, io, ws } = f;
  // --file is inside the workspace (relative to it); the index names its files relative to the current folder.
  const given = stringOption(args, 'file');
  const file = given !== undefined ? resolve(ws.root, given) : undefined;
  // A --file named outside the workspace is the user's choice (the trust model): its folder may be written.
  if (file !== undefined && outside(file, ws.root)) allowNamedOutput(file);
  const items = await itemsFrom(args, io, f.entry?.pairs.map((p) => p.context) ?? [], ws.split.seed);
  const scripted = items.some((i) => 'answer' in i && i.answer !== undefined);
  const retestRate = scripted ? 0 : retestRateOf(args, ws);
  const askNextGiven = stringOption(args, 'ask-next') !== undefined;
  const plan = await planCollect({
    userId: f.userId,
    layout: ws.layout,
    ...(f.entry ? { user: f.entry } : {}),
    ...(f.persona ? { persona: f.persona } : {}),
    prompts: ws.prompts,
    model: f.llm,
    openModel: (config) => openLlmFor(config, args, io, ws.settings, ws.layout.cacheDir),
    items,
    sources: await sourcesOf(args, io),
    ...(file !== undefined ? { file } : {}),
    ...(stringOption(args, 'temperature') !== undefined ? { temperature: temperatureFrom(args, ws.settings) } : {}),
    askNext: askNextGiven
      ? { size: intOption(args, 'ask-next', 3, 2), named: '--ask-next' }
      : { size: ws.settings.collectAskNext ?? defaultOf('collectAskNext')! },
    retestRate,
    refitAfter: f.refitAfter,
    ...(stringOption(args, 'max') !== undefined ? { max: intOption(args, 'max', 10, 1) } : {}),
    split: { seed: ws.split.seed, ratios: ws.split.ratios },
    includeTest: flag(args, 'include-test'),
    display: f.rel,
  });
  return { plan, asker: scripted ? fileAsker(items) : terminalAsker(io) };
}

function retestRateOf(args: ParsedArgs, ws: Workspace): number {
  const given = stringOption(args, 'retest-rate');
  const rate = Number(given ?? String(ws.settings.collectRetestRate ?? defaultOf('collectRetestRate')!));
  if (!(rate >= 0 && rate <= 0.5)) throw new UsageError(`--retest-rate: expected a number in [0, 0.5], got "${given}"`);
  return rate;
}

/** --model-b, --system-a, --system-b (text or @FILE) and --persona, as the engine's sources. */
async function sourcesOf(args: ParsedArgs, io: CommandIO): Promise<CollectSources> {
  const systemOf = async (v: string | undefined) =>
    v?.startsWith('@')
      ? (await readChosen(resolve(io.cwd, v.slice(1)), 'system prompt file', READ_LIMITS.text)).trim()
      : v;
  const systemA = await systemOf(stringOption(args, 'system-a'));
  const systemB = await systemOf(stringOption(args, 'system-b'));
  const modelB = stringOption(args, 'model-b');
  return {
    ...(flag(args, 'persona') ? { persona: true } : {}),
    ...(systemA !== undefined ? { systemA } : {}),
    ...(systemB !== undefined ? { systemB } : {}),
    ...(modelB ? { modelB } : {}),
  };
}

/** The counts, the agreement and the status; exit 1 when picks wait in the log or every generation failed. */
function report(f: Face, plan: CollectPlan, o: CollectOutcome): number {
  const { io, userId, rel } = f;
  const { summary: s, status } = o;
  if (flag(f.args, 'json'))
    io.stdout(JSON.stringify({ user: userId, file: rel(plan.file), ...s, status, usage: usageLine(f.llm) }) + '\n');
  else {
    const retests = s.retests ? `; retests: ${s.agreed} of ${s.retests} agreed with the first answer` : '';
    io.stdout(
      `${userId}: ${s.picked - s.pending.length} pair(s) appended to ${rel(plan.file)}, ${s.ties} tie(s), ` +
        `${s.skipped} skipped, ${s.failed} failed generation(s)${retests}\n`,
    );
    io.stdout(statusText(userId, status, plan.refitAfter));
    io.stderr(`${usageLine(f.llm)}\n`);
  }
  if (o.pendingInLog) {
    // Nothing is lost, but the file does not have them yet: the run did not finish its work.
    io.stderr(
      `${s.pending.length} pick(s) are kept in ${rel(collectLogPath(plan.root, userId))}, not yet in ${rel(plan.file)}: ` +
        'the next collect into it appends them once the file reads again\n',
    );
    return 1;
  }
  return s.failed && !s.picked && !s.ties && !s.skipped ? 1 : 0;
}

export function statusText(userId: string, s: CollectStatus, refitAfter: number): string {
  const lines = [`${userId}: ${s.collected} pair(s) collected, ${s.ties} tie(s), ${s.skipped} skipped`];
  const pct = (x: number) => (100 * x).toFixed(1);
  if (s.retest.asked)
    lines.push(
      `  test-retest agreement: ${pct(s.retest.rate!)}% (${s.retest.agreed} of ${s.retest.asked}): ` +
        "the person's own consistency, a ceiling for any judge of this user" +
        (s.retest.asked < 10 ? ' (fewer than 10 retests: a rough estimate)' : ''),
    );
  if (s.outOfSample) {
    const o = s.outOfSample;
    lines.push(
      `  the persona on the ${o.pairs} pair(s) collected since its fit: ${pct(o.accuracy)}% ` +
        `(95% CI ${pct(o.ci95[0])} to ${pct(o.ci95[1])}), out of sample` +
        (o.pairs < 10 ? `; with ${o.pairs} pair(s) the interval is wide` : '') +
        (o.failed ? `; ${o.failed} pair(s) left out, their calls failed` : ''),
    );
  }
  if (s.refit)
    lines.push(
      `  ${s.sinceFit} new pair(s) since the persona was fitted (at least ${refitAfter}): ` +
        `re-fit with synthesizeme fit <workspace> --user ${userId}`,
    );
  return lines.join('\n') + '\n';
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
    scripted: true,
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
      io.stderr(`\n[1]\n${show(s.first)}\n\n[2]\n${show(s.second)}\n\n`);
      io.stderr('1 or 2 (your choice), t (tie), s (skip), then an optional reason: ');
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
