// `npm run main`: the README's first command, for real. Reads the bundled example workspace (the inspection
// report), then fits one user with SynthesizeMe and evaluates the default judge against persona+demos on
// that user's test pairs, through the product's own CLI, against a real model:
//   - the configured server when one answers (OPENAI_BASE_URL, OLLAMA_HOST, or Ollama on 127.0.0.1:11434,
//     with SYNTHESIZEME_MODEL or the provider's default model);
//   - otherwise the embedded default: llama.cpp's server with an instruction-tuned model (INSTRUCT_MODEL,
//     Qwen2.5-Coder 0.5B Instruct), set up by this command. On a CPU its workload is trimmed (one user, a few pairs
//     of each split, one candidate demo set besides the full one), and the output says so: the whole job,
//     install included, fits in 10 minutes on 2 cores. A heartbeat line every 20 s shows the server's progress.
//
//   node dist/main-job.js [--user ID] [--embedded]

import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createLlm } from '../src/core/llm/client';
import { resolveLlmConfig } from '../src/core/llm/config-from-env';
import { redactUrl } from '../src/core/llm/errors';
import { openWorkspace, pairsBySplit } from '../src/core/workspace/open-workspace';
import type { Split } from '../src/core/data/pair';
import {
  embeddedDir,
  ensureEmbeddedModel,
  INSTRUCT_MODEL,
  INSTRUCT_MODELS,
  startLlamaServer,
  withModel,
  type LlamaServer,
} from './embedded-model/llama-server';

const ROOT = resolve(__dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const SOURCE_WS = join(ROOT, 'examples', 'workspace');
// Outside the example folder (which stays as shipped) and inside the clone's ignored out/: a second run
// finds the cache and makes no calls.
const WORK = join(ROOT, 'out', 'main-job');
const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const say = (line: string) => process.stdout.write(`${line}\n`);
const step = (line: string) => process.stderr.write(`[main ${secs()}] ${line}\n`);

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Runs the built CLI; its progress (stderr) passes through, its stdout is returned. */
function cli(args: string[], passStdout = true): Promise<{ code: number; stdout: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (passStdout) process.stdout.write(d);
    });
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? 1, stdout }));
  });
}

interface Target {
  provider: 'ollama' | 'openai';
  baseUrl: string;
  model: string;
  embedded: boolean;
}

/** The configured server, if it answers and has the model. */
async function configuredServer(): Promise<Target | { why: string }> {
  const resolved = resolveLlmConfig(
    process.env['SYNTHESIZEME_MODEL'] ? { model: process.env['SYNTHESIZEME_MODEL'] } : {},
    process.env,
  );
  const { config } = resolved;
  // Never from the environment, but the type allows it: VS Code's models are no server to run a job against.
  if (config.provider === 'vscode-lm') return { why: 'the provider vscode-lm exists only inside VS Code' };
  const where = `${config.provider} at ${config.baseUrls.map(redactUrl).join(', ')} (${resolved.sources.baseUrls})`;
  const llm = createLlm(
    { ...config, timeoutSeconds: 3 },
    { noCache: true, ...(resolved.apiKey ? { apiKey: resolved.apiKey } : {}) },
  );
  try {
    const report = await llm.checkConnection(AbortSignal.timeout(4000));
    const ok = report.endpoints.find((e) => e.ok);
    // The first sentence of the error is the reason; the rest is CLI advice that does not apply here.
    if (!ok)
      return { why: `no answer from ${where}: ${(report.endpoints[0]?.error ?? 'no endpoint').split(/(?<=\.) /)[0]}` };
    return {
      provider: config.provider,
      baseUrl: config.baseUrls[report.endpoints.indexOf(ok)]!,
      model: config.model,
      embedded: false,
    };
  } catch (err) {
    return { why: `no answer from ${where}: ${(err as Error).message}` };
  } finally {
    await llm.dispose();
  }
}

/** What the embedded model judges on a CPU: pairs of each split kept for the one user (the product's own split). */
const TRIM: Record<Split, number> = { context: 4, validation: 2, test: 3 };
/** Fit options on a CPU: one random candidate demo set besides the full one, demos limited to the context kept. */
const TRIMMED_FIT = ['--k', '1', '--labeled-demos', '2', '--concurrency', '2'];

/**
 * The user's file rewritten with the first pairs of each split, each split written out (so the product keeps it),
 * and no other user: the workload a 1.5B model on 2 cores finishes in minutes.
 */
async function trimWorkspace(ws: string, user: string): Promise<string> {
  const full = await openWorkspace(ws);
  const entry = full.index.user(user);
  if (!entry) throw new Error(`no user "${user}" in the example workspace`);
  const splits = pairsBySplit(entry);
  const kept = (Object.keys(TRIM) as Split[]).flatMap((s) => splits[s].slice(0, TRIM[s]).map((p) => ({ p, s })));
  const lines = kept.map(({ p, s }) =>
    JSON.stringify({
      user_id: p.userId,
      pair_id: p.pairId,
      context: p.context,
      chosen: p.chosen.content,
      rejected: p.rejected.content,
      split: s,
      ...(p.demographics ? { demographics: p.demographics } : {}),
    }),
  );
  // The other users' files (and this user's, rewritten below): the examples keep every preference file at the top.
  for (const f of readdirSync(ws)) if (/\.prefs\.(jsonl|json|ya?ml)$/.test(f)) rmSync(join(ws, f), { force: true });
  writeFileSync(join(ws, `${user}.prefs.jsonl`), lines.join('\n') + '\n');
  const n = (s: Split) => Math.min(TRIM[s], splits[s].length);
  return `${user} only, ${n('context')} context, ${n('validation')} validation and ${n('test')} test pairs of ${entry.pairs.length}`;
}

/** Every 20 s while a step runs: what the server has done so far (llama-server's /metrics), so a slow CPU shows progress. */
function heartbeat(server: LlamaServer | undefined, what: string): () => void {
  if (!server) return () => undefined;
  const started = Date.now();
  const timer = setInterval(() => {
    void fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(3000) })
      .then((r) => r.text())
      .then((m) => {
        const g = (name: string) => Number(new RegExp(`^llamacpp:${name} ([\\d.e+-]+)$`, 'm').exec(m)?.[1] ?? 0);
        step(
          `${what}: ${((Date.now() - started) / 1000).toFixed(0)} s; the server has read ${g('prompt_tokens_total')} prompt and written ${g('tokens_predicted_total')} tokens, ${g('requests_processing')} call(s) in progress`,
        );
      })
      .catch(() => step(`${what}: ${((Date.now() - started) / 1000).toFixed(0)} s`));
  }, 20_000);
  return () => clearInterval(timer);
}

async function main(): Promise<number> {
  const user = argValue('--user') ?? 'ada';
  say('SynthesizeMe Studio: the main job');
  say('');
  say('1. The example workspace (examples/workspace):');
  const inspect = await cli(['inspect', relative(process.cwd(), SOURCE_WS) || SOURCE_WS]);
  if (inspect.code !== 0) return inspect.code;

  let server: LlamaServer | undefined;
  let target: Target;
  const configured = process.argv.includes('--embedded') ? { why: '--embedded' } : await configuredServer();
  const label = INSTRUCT_MODELS[INSTRUCT_MODEL].label;
  if ('why' in configured) {
    step(`using the embedded model (${configured.why})`);
    // Only the model this job runs: Gemma 3 270M (base) serves the plumbing tests, not this.
    const installed = await ensureEmbeddedModel({
      dir: embeddedDir(),
      models: [INSTRUCT_MODEL],
      onLine: (l) => step(l.replace(/^\[embedded-model\] /, '')),
    });
    const model = withModel(installed, INSTRUCT_MODEL);
    step(`starting llama-server with ${label} on a loopback port`);
    const started = Date.now();
    server = await startLlamaServer({ ...model, ctx: 8192, parallel: 2, logDir: join(WORK, 'logs') });
    step(
      `llama-server ready at ${server.url} (pid ${server.pid}, ${((Date.now() - started) / 1000).toFixed(1)} s to load; log ${relative(process.cwd(), server.logPath)})`,
    );
    target = { provider: 'openai', baseUrl: server.baseUrl, model: model.alias!, embedded: true };
  } else {
    target = configured;
    step(`using the configured server: ${target.provider} at ${redactUrl(target.baseUrl)}, model ${target.model}`);
  }

  try {
    const ws = join(WORK, 'workspace');
    // A fresh copy of the data each time (the example may have changed); the cache and runs are kept.
    mkdirSync(ws, { recursive: true });
    cpSync(SOURCE_WS, ws, { recursive: true });
    const model = ['--provider', target.provider, '--base-url', target.baseUrl, '--model', target.model];
    // The embedded model is slow on a CPU: a trimmed workload. A configured server gets the whole user and the method's defaults.
    const trimmed = target.embedded ? await trimWorkspace(ws, user) : undefined;
    const fitArgs = target.embedded ? TRIMMED_FIT : [];
    const evalArgs = target.embedded ? ['--concurrency', '2'] : [];
    if (trimmed) {
      say('');
      say(
        `Trimmed for a CPU: ${trimmed}; fit with ${TRIMMED_FIT.slice(0, 4).join(' ')} (the method's defaults: all pairs, --k 10, --labeled-demos 4).`,
      );
    }

    say('');
    say(`2. Fitting user "${user}" with SynthesizeMe (${target.model}):`);
    let stop = heartbeat(server, 'fitting');
    const fit = await cli(['fit', ws, '--user', user, ...fitArgs, ...model]).finally(stop);
    if (fit.code !== 0) return fit.code;
    const personaFile = join(ws, 'personas', `${user}.persona.yaml`);
    if (!existsSync(personaFile)) throw new Error(`fit wrote no persona file at ${personaFile}`);
    const doc = parseYaml(readFileSync(personaFile, 'utf8')) as {
      persona: string;
      demos: unknown[];
      provenance: { model: string; validation?: { accuracy: number } };
    };
    say('');
    say(
      `The persona fitted by ${doc.provenance.model} (${relative(process.cwd(), personaFile)}, ${doc.demos.length} demonstration(s)):`,
    );
    say(doc.persona.trim().replace(/^/gm, '  | '));

    say('');
    say(
      `3. Test accuracy of "${user}": the default judge against persona+demos (both orders of every pair, 95% intervals):`,
    );
    stop = heartbeat(server, 'evaluating');
    const ev = await cli([
      'eval',
      ws,
      '--user',
      user,
      '--method',
      'default,persona+demos',
      '--table',
      ...evalArgs,
      ...model,
    ]).finally(stop);
    if (ev.code !== 0) return ev.code;

    say('');
    if (target.embedded) {
      say(`Model: ${target.model} (${label}, instruction-tuned), run by llama.cpp's own server on this machine's CPU.`);
      say(
        `It answers in its chat format and notices a prompt edited to "always answer B", but it does not follow a stated`,
      );
      say(
        `persona (README, \`npm run bench -- real-models\`), and ${TRIM.test} test pairs give intervals too wide to tell methods apart:`,
      );
      say(
        'this shows the pipeline end to end, not how well SynthesizeMe personalizes. For that, a real judge (Llama 3.1 8B and up): see',
      );
      say('docs/reproduce-paper.md, and point OLLAMA_HOST or OPENAI_BASE_URL at your server to use it here.');
    } else {
      say(
        `Model: ${target.model} on ${target.provider} at ${redactUrl(target.baseUrl)}. Five test pairs of one user give wide intervals:`,
      );
      say('see docs/reproduce-paper.md for the full benchmark.');
    }
    say(`Outputs (persona, run files, cache): ${relative(process.cwd(), ws)}`);
    say(`Main job finished in ${secs()}.`);
    return 0;
  } finally {
    await server?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`main job failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
