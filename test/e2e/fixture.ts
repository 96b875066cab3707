// The e2e fixture, run by run-e2e.mjs under the system Node: a loopback Ollama (the real
// protocol; its brain answers "A" with a reasoning that carries markup, so the views must show
// it as text), and a workspace prepared with the real CLI (a fitted persona, an evaluated run)
// plus a 10,000-row run file for the Verdicts view's first paint. The rubric method's calls go to the simulated
// brain of the other layers, which writes criteria and scores from the prompt (checks/views-rubric.mjs).

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type Brain, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';
import { adaptBrain, schemaName } from '../support/brain-adapter';
import { simulatedBrain } from '../support/simulated-brain';
import { personaYaml } from '../support/persona-yaml';
import { splitPairsJsonl } from '../support/split-pairs';

export const MARKUP = '<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">';

// Without noise: the same rubric answer on every run, so the check reads the same criteria each time.
const rubricBrain = adaptBrain(simulatedBrain({ noise: 0 }));

function brain(req: BrainRequest): ReturnType<Brain> {
  // Before the persona's test below: a rubric answer holds a persona too.
  if (schemaName(req.schema) === 'rubric') return rubricBrain(req);
  const props = (req.schema?.['properties'] ?? {}) as Record<string, unknown>;
  if ('persona' in props)
    return JSON.stringify({
      reasoning: 'summarised',
      persona: 'Ada wants the shortest correct answer: code first, no pleasantries, no filler.',
    });
  // A generation (Collect Preferences, no schema): the system prompt decides the reply, so two system prompts differ.
  if (!req.schema) {
    const system = req.messages.find((m) => m.role === 'system')?.content ?? '';
    const q = req.messages[req.messages.length - 1]?.content ?? '';
    return system.includes('few words')
      ? `Short: ${q.slice(0, 40)}`
      : `A long answer about ${q.slice(0, 40)}, with every detail one could want.\n\n\`\`\`python\nprint("hello")\n\`\`\``;
  }
  if (!('preference' in props)) return 'Ada wants the shortest correct answer.';
  // The Testing panel's check (checks/testing-panel.mjs): a persona saying SMART finds the user's choice, OPPOSITE
  // picks the other answer (a planted regression); every other judge call answers A, as before.
  const system = req.messages.find((m) => m.role === 'system')?.content ?? '';
  if (/SMART|OPPOSITE/.test(system)) {
    const last = req.messages[req.messages.length - 1]?.content ?? '';
    const aChosen = /<response_a>\n\S+ chosen \d+:/.test(last);
    const preference = system.includes('SMART') === aChosen ? 'A' : 'B';
    return JSON.stringify({ reasoning: `I pick ${preference}.`, preference });
  }
  return JSON.stringify({ reasoning: `Response A is shorter. ${MARKUP}`, preference: 'A' });
}

/**
 * A user for the Testing panel's check: 2 context, 12 validation and 12 test pairs whose chosen answers say so (the
 * brain finds them when the persona says SMART), and the persona file (rewritten by the check to plant a regression).
 */
export function writeTestingUser(ws: string, user: string, personaText: string, withPairs: boolean): void {
  if (withPairs) writeFileSync(join(ws, `${user}.prefs.jsonl`), splitPairsJsonl(user, [2, 12, 12]) + '\n');
  const persona = personaYaml(user, personaText, { created: new Date().toISOString() });
  mkdirSync(join(ws, 'personas'), { recursive: true });
  writeFileSync(join(ws, 'personas', `${user}.persona.yaml`), persona);
}

export async function startServer(): Promise<LoopbackServer> {
  // A prompt containing FAIL makes the server fail (Collect Preferences: a failed generation appends nothing).
  return startLoopbackOllama({
    brain,
    models: ['llama3.1:8b', 'qwen3:30b-a3b'],
    faultFor: (req) =>
      !req.schema && (req.messages[req.messages.length - 1]?.content ?? '').includes('FAIL')
        ? { type: 'server-error', status: 400, message: 'invalid request: planted' }
        : undefined,
  });
}

/** The CLI in the workspace, asynchronously: the loopback server answers from this same process. */
function runCli(root: string, ws: string, ...args: string[]) {
  return promisify(execFile)(process.execPath, [join(root, 'dist/cli.js'), ...args], { cwd: ws, encoding: 'utf8' });
}

/**
 * ada's test pairs judged by the rubric method with the CLI (checks/views-rubric.mjs): made when the check runs, not
 * with the workspace, so that the other checks' counts of runs are not changed. Resolves to what the CLI printed.
 */
export async function evaluateRubric(root: string, ws: string): Promise<string> {
  return (await runCli(root, ws, 'eval', '.', '--user', 'ada', '--method', 'rubric', '--trust-workspace')).stdout;
}

export async function prepareWorkspace(root: string, ws: string, serverUrl: string): Promise<{ bigRun: string }> {
  cpSync(join(root, 'examples/workspace'), ws, { recursive: true });
  const rec = (id: string, chosen: string, rejected: string) =>
    JSON.stringify({
      user_id: 'mallory',
      pair_id: id,
      context: [{ role: 'user', content: `Question ${id} <script>document.title="pwned"</script>` }],
      chosen,
      rejected,
    });
  writeFileSync(
    join(ws, 'inject.prefs.jsonl'),
    [
      rec('m1', '<img src=x onerror="document.title=\'pwned\'"> short', 'long answer'),
      rec('m2', 'ok', '<script>alert(1)</script>'),
      rec('m3', 'a', 'b'),
      rec('m4', 'c', 'd'),
      rec('m5', 'e', 'f'),
    ].join('\n') + '\n',
  );
  mkdirSync(join(ws, '.vscode'), { recursive: true });
  writeFileSync(
    join(ws, '.vscode/settings.json'),
    JSON.stringify(
      {
        'synthesizeme.provider': 'ollama',
        'synthesizeme.baseUrls': [serverUrl],
        'synthesizeme.model': 'llama3.1:8b',
        'workbench.startupEditor': 'none',
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'chat.disableAIFeatures': true,
      },
      null,
      2,
    ),
  );
  const cli = (...args: string[]) => runCli(root, ws, ...args);
  // The fixture's own settings choose the loopback server: it trusts its own workspace.
  await cli('fit', '.', '--user', 'ada', '--trust-workspace');
  await cli('eval', '.', '--all', '--method', 'default', '--trust-workspace');
  // A second method on ada's pairs: the pair view lists both runs' verdicts, and the grid compares them.
  await cli('eval', '.', '--user', 'ada', '--method', 'persona+demos', '--trust-workspace');
  // Six large runs: 10,000 verdicts each (2,500 users x 4 pairs), some wrong, some inconsistent, each
  // run wrong on a different pattern of pairs (so the grid has flipped pairs). The first is the
  // Verdicts view's first-paint test; all six are the comparison grid's (10,000 rows x 6 columns).
  const runs = join(ws, '.synthesizeme/runs');
  mkdirSync(runs, { recursive: true });
  let bigRun = '';
  for (let r = 0; r < 6; r++) {
    const id = `big00000000${r}`;
    const lines: string[] = [
      JSON.stringify({
        type: 'header',
        version: 1,
        id,
        method: 'persona+demos',
        split: 'test',
        provider: 'ollama',
        model: 'llama3.1:8b',
        seed: 0,
        temperature: 0,
        users: [],
        created: new Date(Date.now() - r * 60_000).toISOString(),
        inputs: {},
        label: `big ${r}`,
      }),
    ];
    let correct = 0;
    for (let i = 0; i < 10_000; i++) {
      // Run r > 0 turns the (A,B) verdict of every (10 + r)th pair: those rows are flipped against run 0.
      const a = (i % 7 !== 0) !== (r > 0 && i % (10 + r) === 0);
      const b = i % 5 !== 0;
      correct += Number(a) + Number(b);
      lines.push(
        JSON.stringify({
          type: 'verdict',
          userId: `u${String(Math.floor(i / 4)).padStart(4, '0')}`,
          pairId: `p${i}`,
          file: 'ada.prefs.jsonl',
          line: 1 + (i % 15),
          orders: [
            {
              order: 'AB',
              preference: a ? 'A' : 'B',
              correct: a,
              reasoning: `Reasoning ${i} for (A,B). ${i === 3 ? MARKUP : ''}`,
            },
            { order: 'BA', preference: b ? 'B' : 'A', correct: b, reasoning: `Reasoning ${i} for (B,A).` },
          ],
        }),
      );
    }
    // The summary's figures are the verdicts' own (a normal interval is close enough for a fixture).
    const acc = correct / 20_000;
    const half = 1.96 * Math.sqrt((acc * (1 - acc)) / 10_000);
    lines.push(
      JSON.stringify({
        type: 'summary',
        accuracy: acc,
        ci95: [acc - half, acc + half],
        consistency: 0.7,
        samples: 20000,
        pairs: 10000,
        users: [],
        completed: new Date().toISOString(),
      }),
    );
    const path = join(runs, `persona-demos-test-${id}.run.jsonl`);
    writeFileSync(path, lines.join('\n') + '\n');
    if (r === 0) bigRun = path;
  }
  return { bigRun };
}
