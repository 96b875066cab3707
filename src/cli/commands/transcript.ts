// synthesizeme transcript: what the judge saw and answered for one verdict of a run, order by order.

import { stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { flag, stringOption, type Command, type CommandIO, type ParsedArgs } from '../command';
import { promptTokensText, readTranscript, type Transcript, type TranscriptOrder } from '../../core/eval';
import { readWorkspaceSettings, workspaceLayout } from '../../core/workspace';
import { checkNamedFolder, chooseFileToRead, enclosingWorkspace } from '../../core/write-guard';
import { UsageError } from '../usage-error';

const ORDERS = ['AB', 'BA'] as const;

/** The cache the run was judged with: --cache-dir, else its workspace's (the settings may move it). */
async function cacheDirOf(args: ParsedArgs, io: CommandIO, runPath: string): Promise<string> {
  const given = stringOption(args, 'cache-dir');
  if (given) {
    const dir = resolve(io.cwd, given);
    checkNamedFolder(dir, 'the cache folder');
    return dir;
  }
  // A run lies in <workspace>/.synthesizeme/runs: its workspace is the one that holds the layout's folders.
  const root = enclosingWorkspace(runPath) ?? dirname(dirname(dirname(runPath)));
  return workspaceLayout(root, await readWorkspaceSettings(root, flag(args, 'trust-workspace'))).cacheDir;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function orderText(o: TranscriptOrder): string {
  const who = o.order === 'AB' ? 'A = chosen' : 'A = rejected';
  const said = o.failed ? 'the call failed' : o.preference ? `answered ${o.preference}` : 'no A/B answer';
  const lines = [`== Order ${o.order} (${who}): ${said}${o.failed ? '' : o.correct ? ', right' : ', wrong'} ==`];
  if (o.call) lines.push(`call: ${o.call}${o.answeredAt ? ` (answered ${o.answeredAt})` : ''}`);
  if (o.model !== undefined)
    lines.push(
      `model ${o.model}${o.digest ? ` (digest ${o.digest})` : ''}${o.server ? ` on ${o.server}` : ''}`,
      `${promptTokensText(o)}, ${o.completionTokens ?? '?'} completion tokens, ` +
        `latency ${o.latencyMs !== undefined ? seconds(o.latencyMs) : '?'}`,
    );
  if (o.missing) lines.push(`(${o.missing})`);
  for (const m of o.messages ?? []) lines.push('', `--- ${m.role} ---`, m.content);
  if (o.thinking) lines.push('', '--- thinking ---', o.thinking);
  if (o.answer !== undefined) lines.push('', '--- answer ---', o.answer);
  else if (o.reasoning) lines.push('', '--- reasoning (from the run file) ---', o.reasoning);
  return lines.join('\n');
}

function transcriptText(t: Transcript, runName: string): string {
  const r = t.run;
  const head = [
    `Transcript of pair ${t.pairId} (user ${t.user}, ${t.file}:${t.line}) in ${runName}`,
    ...(r
      ? [
          `run ${r.id}: ${r.method} on ${r.split}${r.label ? ` "${r.label}"` : ''}, ${r.provider} ${r.model}` +
            `${r.modelDigest ? ` (digest ${r.modelDigest})` : ''}${r.baseUrl ? ` at ${r.baseUrl}` : ''}`,
        ]
      : []),
    ...(t.note ? [t.note] : []),
  ];
  return [head.join('\n'), ...t.orders.map(orderText)].join('\n\n') + '\n';
}

export const transcriptCommand: Command = {
  name: 'transcript',
  summary: 'show what the judge was sent and answered for one verdict: messages, raw answer, tokens, latency',
  help: `Usage: synthesizeme transcript <run file> --pair ID [--user ID] [--order AB|BA] [--cache-dir DIR] [--json]

For each order of the pair's verdict in the run (both unless --order says one): the messages sent
(the system prompt with the persona and the demonstrations, then the rendered pair), the model's raw
answer and its thinking, the prompt and completion tokens with how many prompt tokens the server
served from its prompt cache (when it says: OpenAI's cached_tokens, llama-server's cache_n; Ollama
does not), the latency, the server and the model's digest.

A run file does not copy them: each order names its call's entry in the response cache, which holds
them. A run judged before transcripts were kept says "no transcript recorded for this run"; a call the
cache no longer holds (--no-cache, cache clear or prune) says so.

Options:
  --pair ID         the pair (required)
  --user ID         the pair's user, when several users have a pair of that id
  --order AB|BA     one order only (AB: A is the chosen response)
  --cache-dir DIR   the cache the run was judged with (default: the run's workspace's)
  --json            {"user", "pairId", "file", "line", "run", "orders": [{"order", "preference",
                    "correct", "reasoning", "call", "messages", "answer", "thinking", "promptTokens",
                    "completionTokens", "cachedPromptTokens", "latencyMs", "server", "model", "digest",
                    "answeredAt", "missing"}], "note"}

Example:
  synthesizeme transcript examples/workspace/.synthesizeme/runs/default-test-*.run.jsonl --pair ada-3 --order BA`,
  options: {
    pair: { type: 'string' },
    user: { type: 'string' },
    order: { type: 'string' },
    'cache-dir': { type: 'string' },
    json: { type: 'boolean' },
  },

  async run(args, io) {
    if (args.positionals.length !== 1)
      throw new UsageError('transcript: give one run file (see synthesizeme transcript --help)');
    const pairId = stringOption(args, 'pair');
    if (!pairId) throw new UsageError('transcript: say which pair with --pair ID');
    const order = stringOption(args, 'order');
    if (order !== undefined && !(ORDERS as readonly string[]).includes(order))
      throw new UsageError(`--order: expected AB or BA, got "${order}"`);
    const path = resolve(io.cwd, args.positionals[0]!);
    chooseFileToRead(path);
    if (!(await stat(path).catch(() => undefined))?.isFile())
      throw new UsageError(`transcript: no such file: ${args.positionals[0]}`);
    const user = stringOption(args, 'user');
    const rel = (p: string) => relative(io.cwd, p) || p;
    const t = await readTranscript(
      path,
      { pairId, ...(user !== undefined ? { user } : {}) },
      {
        cacheDir: await cacheDirOf(args, io, path),
        ...(order ? { order: order as 'AB' | 'BA' } : {}),
        display: rel,
      },
    );
    const name = rel(path);
    io.stdout(flag(args, 'json') ? JSON.stringify({ runFile: name, ...t }) + '\n' : transcriptText(t, name));
    return 0;
  },
};
