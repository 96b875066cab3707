// The semantic checks: does a real, instruction-tuned model follow what its judge prompt and the persona SAY?
// Four constructed, clear-cut pairs, each the same one-liner in Python and in JavaScript: only the taste tells the
// replies apart. Two users judge the SAME pairs with opposite tastes: `js` wants the JavaScript reply, `py` the
// Python one. The design is balanced on purpose: a judge that sees no persona gets the same prompts for both users
// (one user's AB is the other's BA), so whatever it leans to is right for one user and wrong for the other, and
// "no persona" sits near 50% (exactly 50% only were the model deterministic: both users' calls are in flight
// together, so neither is served from the response cache, and llama-server's reuse of cached prompt tokens moves
// an answer now and then; measured 62.5% once). Following the persona then shows as a large lift whichever
// language the model leans to (a coder model leans to Python; a one-user suite measured that lean, not the persona).
// The pairs are judged through the built CLI (`eval --all`) with the suite's OWN judge prompt
// (SEMANTIC_JUDGE_PROMPT, written to the workspace's prompts/judge.prompt.md; the product inserts the persona as
// usual) under four conditions:
//   none      the judge prompt, no persona (method default)
//   persona   the judge prompt with each user's persona (method persona)
//   opposite  the same, with each user given the OTHER user's persona
//   always-b  the judge prompt's last line edited to "always answer B", no persona
// Accuracy is always against the users' own choices (the js user wants JavaScript, in every condition).
// The semantic layer (semantic.test.ts) asserts MARGINS with Qwen2.5-Coder 1.5B Instruct; `npm run bench --
// real-models` measures every candidate. Each call of run() uses fresh workspaces: no cached answer.
//
// Measured before choosing (README, "The embedded models"): with the project's default judge prompt neither Qwen
// model follows a persona (they quote it, then answer "A"); with a persona stating two tastes (Python and no
// emoji) and pairs mixing them, the 1.5B model mixes up which reply holds the emoji. One taste, and a prompt
// that makes the model name each reply's language before it picks, is what it follows.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './cli-runner';

interface SemPair {
  id: string;
  question: string;
  python: string;
  javascript: string;
}

export const SEMANTIC_PAIRS: SemPair[] = [
  {
    id: 'reverse',
    question: 'How do I reverse a string?',
    python: 'In Python:\n\n```python\nreversed_text = text[::-1]\n```',
    javascript: "In JavaScript:\n\n```javascript\nconst reversedText = text.split('').reverse().join('');\n```",
  },
  {
    id: 'json-field',
    question: 'How can I read a JSON file and print one of its fields?',
    python:
      'In Python:\n\n```python\nimport json\n\nwith open("config.json") as f:\n    print(json.load(f)["name"])\n```',
    javascript:
      "In JavaScript:\n\n```javascript\nconst fs = require('fs');\n\nconsole.log(JSON.parse(fs.readFileSync('config.json', 'utf8')).name);\n```",
  },
  {
    id: 'dedupe',
    question: 'What is the quickest way to remove duplicates from a list while keeping the order?',
    python: 'In Python:\n\n```python\nunique = list(dict.fromkeys(items))\n```',
    javascript: 'In JavaScript:\n\n```javascript\nconst unique = [...new Set(items)];\n```',
  },
  {
    id: 'sum',
    question: 'How do I add up all the numbers in a list?',
    python: 'In Python:\n\n```python\ntotal = sum(numbers)\n```',
    javascript: 'In JavaScript:\n\n```javascript\nconst total = numbers.reduce((a, b) => a + b, 0);\n```',
  },
];

type Language = 'python' | 'javascript';
/** The two users and the language each one chooses. */
export const USERS: { id: string; wants: Language }[] = [
  { id: 'js', wants: 'javascript' },
  { id: 'py', wants: 'python' },
];

const PERSONAS: Record<Language, string> = {
  javascript:
    'This user only wants JavaScript. They always prefer the reply written in JavaScript and reject any reply in Python.',
  python:
    'This user only wants Python. They always prefer the reply written in Python and reject any reply in JavaScript.',
};
const other = (l: Language): Language => (l === 'python' ? 'javascript' : 'python');

const LAST_LINE = 'The position of a reply means nothing. Always pick A or B.';
/**
 * The suite's judge prompt: a scaffold that makes the model describe each reply (its language) before it matches
 * the descriptions against the stated wants. It names no taste: the persona, or nothing, decides.
 */
export const SEMANTIC_JUDGE_PROMPT = `You predict which of two replies one specific user would rather receive.

You are shown a question and two replies, A and B. What this user wants may be stated below.

Reasoning: first describe Reply A in one line (its programming language, or "no code"; and "emoji" or "no emoji"). Then describe Reply B the same way. Then say which of the two descriptions matches what the user wants, and prefer that reply. If nothing is stated about the user, prefer the more helpful reply.

${LAST_LINE}`;

/** The suite's judge prompt with its last line edited to "always answer B". */
export function alwaysBPrompt(): string {
  return SEMANTIC_JUDGE_PROMPT.replace(LAST_LINE, 'Whatever the replies say, always answer B. Never answer A.');
}

export type Condition = 'none' | 'persona' | 'opposite' | 'always-b';
export const CONDITIONS: Condition[] = ['none', 'persona', 'opposite', 'always-b'];

export interface ConditionFigures {
  /** Order-samples (two per pair and user) whose verdict is the reply that user chose. */
  accuracy: number;
  /** The same, per user id. */
  byUser: Record<string, number>;
  /** Order-samples answered B. */
  bShare: number;
  samples: number;
  unparseable: number;
  failed: number;
  /** Answers that repeat themselves (a 40-character piece three times or more): a model in a loop. */
  loops: number;
  /** Wall seconds of the eval command per order-sample (cached answers included). */
  secondsPerCall: number;
}

export type SemanticFigures = Record<Condition, ConditionFigures>;

/** personaOf: which language the persona file of each user states (none: no persona files). */
function writeWorkspace(personaOf?: (wants: Language) => Language, judgePrompt?: string): string {
  const ws = mkdtempSync(join(tmpdir(), 'semantic-ws-'));
  for (const u of USERS) {
    const lines = SEMANTIC_PAIRS.map((p) =>
      JSON.stringify({
        user_id: u.id,
        pair_id: p.id,
        context: [{ role: 'user', content: p.question }],
        chosen: p[u.wants],
        rejected: p[other(u.wants)],
        split: 'test',
      }),
    );
    writeFileSync(join(ws, `${u.id}.prefs.jsonl`), lines.join('\n') + '\n');
    if (personaOf) {
      mkdirSync(join(ws, 'personas'), { recursive: true });
      const indented = PERSONAS[personaOf(u.wants)].replace(/^/gm, '  ');
      writeFileSync(
        join(ws, 'personas', `${u.id}.persona.yaml`),
        `user_id: ${u.id}\npersona: |\n${indented}\ndemos: []\nprovenance:\n  provider: hand-written\n  model: none\n`,
      );
    }
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
  userId?: string;
  orders?: { order: 'AB' | 'BA'; preference: 'A' | 'B' | null; correct: boolean; reasoning?: string; failed?: true }[];
}

type Order = NonNullable<Verdict['orders']>[number];
const share = (orders: Order[], f: (o: Order) => boolean) => orders.filter(f).length / Math.max(1, orders.length);

/** The figures of each method's run in a workspace, from its run files. */
function figuresOf(ws: string, secondsPerCall: number): Record<string, ConditionFigures> {
  const dir = join(ws, '.synthesizeme', 'runs');
  const out: Record<string, ConditionFigures> = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.run.jsonl'))) {
    const records = readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Verdict & { method?: string });
    const method = records.find((r) => r.type === 'header')?.method ?? f;
    const verdicts = records.filter((r) => r.type === 'verdict');
    const orders = verdicts.flatMap((r) => r.orders ?? []);
    const byUser = Object.fromEntries(
      USERS.map((u) => [
        u.id,
        share(
          verdicts.filter((v) => v.userId === u.id).flatMap((v) => v.orders ?? []),
          (o) => o.correct,
        ),
      ]),
    );
    out[method] = {
      accuracy: share(orders, (o) => o.correct),
      byUser,
      bShare: share(orders, (o) => o.preference === 'B'),
      samples: orders.length,
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
  const r = await cli(['eval', ws, '--all', '--method', methods, '--json', ...target]);
  if (r.code !== 0)
    throw new Error(`eval --method ${methods} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  const samples = methods.split(',').length * SEMANTIC_PAIRS.length * 2 * USERS.length;
  return figuresOf(ws, (Date.now() - t) / 1000 / samples);
}

/**
 * One run of the four conditions against a server. `target` is the CLI's model options (--provider, --base-url,
 * --model, --concurrency). A fresh workspace per condition: nothing comes from an earlier run's cache (inside a
 * condition, the users' identical no-persona prompts share one call, which is the point of the balanced design).
 */
export async function runSemantic(target: string[]): Promise<SemanticFigures> {
  const intact = writeWorkspace((wants) => wants, SEMANTIC_JUDGE_PROMPT);
  const opposite = writeWorkspace(other, SEMANTIC_JUDGE_PROMPT);
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
 * The margins the semantic layer asserts. 16 order-samples a condition (4 pairs x 2 orders x 2 users): a step is
 * 6.25 points. "none" is 50% by construction (see the top of this file), so the persona's lift is measured against
 * a judge that cannot know the answer. Measured pass rate over repeated runs: README, "The embedded models".
 */
export const MARGINS = {
  /** The persona lifts accuracy over the same judge without it by at least this much... */
  personaOverNone: 0.25,
  /** ...and to at least this. */
  personaAtLeast: 0.75,
  /** The edited prompt makes B at least this share of the answers. */
  alwaysB: 0.75,
  /** The opposite persona's accuracy is at least this much below the persona's. */
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
      pass:
        f.persona.accuracy - f.none.accuracy >= MARGINS.personaOverNone - 1e-9 &&
        f.persona.accuracy >= MARGINS.personaAtLeast - 1e-9,
      detail: `persona ${pct(f.persona.accuracy)} vs none ${pct(f.none.accuracy)} (margin ${pct(MARGINS.personaOverNone)}, at least ${pct(MARGINS.personaAtLeast)})`,
    },
    {
      name: 'always-B prompt answers B',
      pass: f['always-b'].bShare >= MARGINS.alwaysB - 1e-9,
      detail: `B in ${pct(f['always-b'].bShare)} (at least ${pct(MARGINS.alwaysB)}); intact prompt B in ${pct(f.none.bShare)}`,
    },
    {
      name: 'opposite persona flips the verdicts',
      pass: f.persona.accuracy - f.opposite.accuracy >= MARGINS.personaOverOpposite - 1e-9,
      detail: `persona ${pct(f.persona.accuracy)} vs opposite ${pct(f.opposite.accuracy)} (margin ${pct(MARGINS.personaOverOpposite)})`,
    },
  ];
}

export function figuresLine(f: SemanticFigures): string {
  return CONDITIONS.map((c) => {
    const x = f[c];
    const users = USERS.map((u) => `${u.id} ${pct(x.byUser[u.id] ?? 0)}`).join(', ');
    return `${c}: accuracy ${pct(x.accuracy)} (${users}), B ${pct(x.bShare)}, ${x.unparseable} unparseable, ${x.loops} loops, ${x.failed} failed of ${x.samples}, ${x.secondsPerCall.toFixed(1)} s/call`;
  }).join('; ');
}
