// The semantic checks: does a real, instruction-tuned model, given the project's own judge prompt, follow what
// the prompt and the persona SAY? Six constructed, clear-cut pairs of one user, who only wants Python (never
// JavaScript) and no emoji, judged through the built CLI (`eval`) under four conditions:
//   none      the intact judge prompt, no persona (method default)
//   persona   the intact judge prompt with the user's persona (method persona)
//   opposite  the same, with a persona stating the opposite taste (JavaScript only, loves emoji)
//   always-b  the judge prompt edited to "always answer B", no persona
// Measured by `npm run bench -- real-models` for every candidate model; a semantic test layer would assert
// MARGINS once a model meets them reliably. Each call of run() uses fresh workspaces: no cached answer.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { cli } from './cli-runner';

const USER = 'sem';

interface SemPair {
  id: string;
  question: string;
  /** What the user wants: Python, or no emoji. */
  chosen: string;
  /** The same help, in JavaScript or with emoji: clear-cut, only the taste tells them apart. */
  rejected: string;
}

export const SEMANTIC_PAIRS: SemPair[] = [
  {
    id: 'reverse',
    question: 'How do I reverse a string?',
    chosen: 'In Python:\n\n```python\nreversed_text = text[::-1]\n```',
    rejected: "In JavaScript:\n\n```javascript\nconst reversedText = text.split('').reverse().join('');\n```",
  },
  {
    id: 'json-field',
    question: 'How can I read a JSON file and print one of its fields?',
    chosen:
      'In Python:\n\n```python\nimport json\n\nwith open("config.json") as f:\n    print(json.load(f)["name"])\n```',
    rejected:
      "In JavaScript:\n\n```javascript\nconst fs = require('fs');\n\nconsole.log(JSON.parse(fs.readFileSync('config.json', 'utf8')).name);\n```",
  },
  {
    id: 'dedupe',
    question: 'What is the quickest way to remove duplicates from a list while keeping the order?',
    chosen: 'In Python:\n\n```python\nunique = list(dict.fromkeys(items))\n```',
    rejected: 'In JavaScript:\n\n```javascript\nconst unique = [...new Set(items)];\n```',
  },
  {
    id: 'focus',
    question: 'Any tips for staying focused while working from home?',
    chosen:
      '- Keep a fixed start and end time.\n- Work at a desk, not on the sofa.\n- Silence notifications during deep work.',
    rejected:
      '- 🕘 Keep a fixed start and end time! 😀\n- 🪑 Work at a desk, not on the sofa! 😉\n- 🔕 Silence notifications during deep work! 🚀✨',
  },
  {
    id: 'mutex',
    question: 'Can you explain what a mutex is in two sentences?',
    chosen:
      'A mutex is a lock that only one thread can hold at a time. A thread takes it before touching shared data and releases it afterwards.',
    rejected:
      '🔒 A mutex is a lock that only one thread can hold at a time! 🧵 A thread takes it before touching shared data and releases it afterwards! 🎉😀',
  },
  {
    id: 'interview',
    question: 'How should I prepare for a job interview tomorrow?',
    chosen:
      'Reread the job description, prepare two stories that show your impact, and have three questions ready. Sleep well.',
    rejected:
      '💼 Reread the job description, 🌟 prepare two stories that show your impact, and ❓ have three questions ready. 😴 Sleep well! 💪🍀',
  },
];

export const PERSONA =
  'This user only wants Python. They always prefer the reply written in Python and reject any reply in JavaScript.\n' +
  'This user hates emoji. They always prefer the reply with no emoji and reject any reply that contains emoji.';
export const OPPOSITE_PERSONA =
  'This user only wants JavaScript. They always prefer the reply written in JavaScript and reject any reply in Python.\n' +
  'This user loves emoji. They always prefer the reply full of emoji and reject any plain reply without emoji.';

const INTACT_END = 'Do not favour a reply because of its position. Always pick A or B; never call it a tie.';
/** The project's judge prompt with its last instruction edited to "always answer B". */
export function alwaysBPrompt(): string {
  if (!DEFAULT_PROMPTS.judge.includes(INTACT_END))
    throw new Error('the default judge prompt changed: update the always-B edit');
  return DEFAULT_PROMPTS.judge.replace(INTACT_END, 'Whatever the replies say, always answer B. Never answer A.');
}

export type Condition = 'none' | 'persona' | 'opposite' | 'always-b';
export const CONDITIONS: Condition[] = ['none', 'persona', 'opposite', 'always-b'];

export interface ConditionFigures {
  /** Order-samples (two per pair) whose verdict is the reply the user of PERSONA wants. */
  accuracy: number;
  /** Order-samples answered B. */
  bShare: number;
  samples: number;
  unparseable: number;
  failed: number;
  /** Answers that repeat themselves (a 40-character piece three times or more): a model in a loop. */
  loops: number;
  /** Wall seconds of the eval command per call (two slots in parallel). */
  secondsPerCall: number;
}

export type SemanticFigures = Record<Condition, ConditionFigures>;

function writeWorkspace(persona?: string, judgePrompt?: string): string {
  const ws = mkdtempSync(join(tmpdir(), 'semantic-ws-'));
  const lines = SEMANTIC_PAIRS.map((p) =>
    JSON.stringify({
      user_id: USER,
      pair_id: p.id,
      context: [{ role: 'user', content: p.question }],
      chosen: p.chosen,
      rejected: p.rejected,
      split: 'test',
    }),
  );
  writeFileSync(join(ws, `${USER}.prefs.jsonl`), lines.join('\n') + '\n');
  if (persona) {
    mkdirSync(join(ws, 'personas'));
    const indented = persona.replace(/^/gm, '  ');
    writeFileSync(
      join(ws, 'personas', `${USER}.persona.yaml`),
      `user_id: ${USER}\npersona: |\n${indented}\ndemos: []\nprovenance:\n  provider: hand-written\n  model: none\n`,
    );
  }
  if (judgePrompt) {
    mkdirSync(join(ws, 'prompts'));
    writeFileSync(join(ws, 'prompts', 'judge.prompt.md'), judgePrompt);
  }
  return ws;
}

function looping(text: string): boolean {
  for (let i = 0; i + 40 <= text.length; i += 20) {
    const piece = text.slice(i, i + 40);
    if (text.split(piece).length - 1 >= 3) return true;
  }
  return false;
}

interface Verdict {
  type: string;
  orders?: { order: 'AB' | 'BA'; preference: 'A' | 'B' | null; correct: boolean; reasoning?: string; failed?: true }[];
}

/** The figures of each method's run in a workspace, from its run files. */
function figuresOf(ws: string, secondsPerCall: number): Record<string, ConditionFigures> {
  const dir = join(ws, '.synthesizeme', 'runs');
  const out: Record<string, ConditionFigures> = {};
  for (const f of readdirSync(dir)) {
    const records = readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Verdict & { method?: string });
    const method = records.find((r) => r.type === 'header')?.method ?? f;
    const orders = records.filter((r) => r.type === 'verdict').flatMap((r) => r.orders ?? []);
    const n = orders.length;
    out[method] = {
      accuracy: orders.filter((o) => o.correct).length / n,
      bShare: orders.filter((o) => o.preference === 'B').length / n,
      samples: n,
      unparseable: orders.filter((o) => o.preference === null && !o.failed).length,
      failed: orders.filter((o) => o.failed).length,
      loops: orders.filter((o) => looping(o.reasoning ?? '')).length,
      secondsPerCall,
    };
  }
  return out;
}

async function evalIn(ws: string, methods: string, target: string[]): Promise<Record<string, ConditionFigures>> {
  const t = Date.now();
  const r = await cli(['eval', ws, '--user', USER, '--method', methods, '--json', ...target]);
  if (r.code !== 0)
    throw new Error(`eval --method ${methods} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  const calls = methods.split(',').length * SEMANTIC_PAIRS.length * 2;
  return figuresOf(ws, (Date.now() - t) / 1000 / calls);
}

/**
 * One run of the four conditions against a server. `target` is the CLI's model options (--provider, --base-url,
 * --model, --concurrency). A fresh workspace per condition: nothing comes from a cache.
 */
export async function runSemantic(target: string[]): Promise<SemanticFigures> {
  const intact = writeWorkspace(PERSONA);
  const opposite = writeWorkspace(OPPOSITE_PERSONA);
  const alwaysB = writeWorkspace(undefined, alwaysBPrompt());
  try {
    const a = await evalIn(intact, 'default,persona', target);
    const b = await evalIn(opposite, 'persona', target);
    const c = await evalIn(alwaysB, 'default', target);
    return { none: a['default']!, persona: a['persona']!, opposite: b['persona']!, 'always-b': c['default']! };
  } finally {
    for (const ws of [intact, opposite, alwaysB]) rmSync(ws, { recursive: true, force: true });
  }
}

/**
 * The margins a semantic test layer would assert. Neither instruction-tuned model PyPI offers meets the persona checks
 * (README, `npm run bench -- real-models`), so no test asserts them yet: a stronger model is needed.
 */
export const MARGINS = {
  /** The persona lifts accuracy over the same judge without it by at least this much. */
  personaOverNone: 0.25,
  /** The edited prompt makes B at least this share of the answers. */
  alwaysB: 0.9,
  /** The opposite persona's accuracy (against the first persona's taste) is at least this much below the persona's. */
  personaOverOpposite: 0.5,
};

export interface CheckResult {
  name: string;
  pass: boolean;
  detail: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function checks(f: SemanticFigures): CheckResult[] {
  return [
    {
      name: 'follows the persona',
      pass: f.persona.accuracy - f.none.accuracy >= MARGINS.personaOverNone,
      detail: `persona ${pct(f.persona.accuracy)} vs none ${pct(f.none.accuracy)} (margin ${pct(MARGINS.personaOverNone)})`,
    },
    {
      name: 'always-B prompt answers B',
      pass: f['always-b'].bShare >= MARGINS.alwaysB,
      detail: `B in ${pct(f['always-b'].bShare)} (at least ${pct(MARGINS.alwaysB)}); intact prompt B in ${pct(f.none.bShare)}`,
    },
    {
      name: 'opposite persona flips the verdicts',
      pass: f.persona.accuracy - f.opposite.accuracy >= MARGINS.personaOverOpposite,
      detail: `persona ${pct(f.persona.accuracy)} vs opposite ${pct(f.opposite.accuracy)} (margin ${pct(MARGINS.personaOverOpposite)})`,
    },
  ];
}

export function figuresLine(f: SemanticFigures): string {
  return CONDITIONS.map((c) => {
    const x = f[c];
    return `${c}: accuracy ${pct(x.accuracy)}, B ${pct(x.bShare)}, ${x.unparseable} unparseable, ${x.loops} loops, ${x.failed} failed of ${x.samples}, ${x.secondsPerCall.toFixed(1)} s/call`;
  }).join('; ');
}
