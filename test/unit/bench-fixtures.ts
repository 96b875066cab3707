// Shared by the bench-*.test.ts files: small raw Arena and PRISM inputs generated inline, and
// brains whose answers are controlled by markers in the responses.
//
// Pair kinds: in a "style" pair both responses give the same answer (first line) and differ in
// style: the classifier brain calls it personalizable; in a "fact" pair the answers differ: not
// personalizable. Judge j1 picks the response carrying "(j1)", j2 the one carrying "(j2)", so
// "split" pairs get 50% agreement with the user (kept), "consensus" 100% and "contrarian" 0%
// (both dropped by the default 10%-90% range).

import type { BrainRequest } from '../support/loopback-llm';

export type Kind = 'split-style' | 'consensus-style' | 'contrarian-style' | 'split-fact';

function responses(kind: Kind, i: number): { chosen: string; rejected: string } {
  const style = kind.endsWith('style');
  const first = `The answer is ${i}.`;
  const chosenBody = `${first}\nShort and direct.`;
  const rejectedBody = style
    ? `${first}\nA much longer answer that walks through every step in detail.`
    : `The answer is ${i + 1000}.\nShort and direct.`;
  const [cm, rm] = kind.startsWith('split')
    ? ['(j1)', '(j2)']
    : kind === 'consensus-style'
      ? ['(j1) (j2)', '']
      : ['', '(j1) (j2)'];
  return { chosen: `${chosenBody}\n${cm}`.trim(), rejected: `${rejectedBody}\n${rm}`.trim() };
}

/** One Arena row; `winnerSide` decides which conversation holds the chosen response. */
export function arenaRow(
  user: string,
  id: string,
  kind: Kind,
  i: number,
  opts: { multiTurn?: boolean; tie?: boolean; winnerSide?: 'a' | 'b' } = {},
): Record<string, unknown> {
  const { chosen, rejected } = responses(kind, i);
  const side = opts.winnerSide ?? (i % 2 ? 'a' : 'b');
  const prefix = opts.multiTurn
    ? [
        { role: 'user', content: `Earlier question ${i}` },
        { role: 'assistant', content: 'An earlier reply.' },
      ]
    : [];
  const conv = (final: string) => [
    ...prefix,
    { role: 'user', content: `Question ${i} from ${user}` },
    { role: 'assistant', content: final },
  ];
  return {
    question_id: id,
    model_a: 'model-x',
    model_b: 'model-y',
    winner: opts.tie ? 'tie' : side === 'a' ? 'model_a' : 'model_b',
    judge: user,
    conversation_a: conv(side === 'a' ? chosen : rejected),
    conversation_b: conv(side === 'a' ? rejected : chosen),
    turn: opts.multiTurn ? 2 : 1,
    language: 'English',
    tstamp: 1700000000 + i,
  };
}

export const ARENA_PLAN: Record<string, Kind[]> = {
  alice: [...Array<Kind>(6).fill('split-style'), 'consensus-style', 'contrarian-style', 'split-fact', 'split-fact'],
  bob: ['split-style', 'split-style', 'split-style', 'consensus-style', 'split-fact'],
  carol: ['split-style', 'split-style'],
  dave: ['split-style', 'split-style', 'contrarian-style', 'split-fact'],
  erin: ['split-style', 'split-style', 'split-style'],
};

/** The raw Arena JSONL: the plan above, plus a tie, and three malformed rows. */
export function arenaJsonl(): string {
  const lines: string[] = [];
  let i = 0;
  for (const [user, kinds] of Object.entries(ARENA_PLAN)) {
    for (const kind of kinds) {
      i++;
      lines.push(JSON.stringify(arenaRow(user, `q${i}`, kind, i, { multiTurn: user === 'erin' })));
    }
  }
  lines.push(JSON.stringify(arenaRow('dave', 'q-tie', 'split-style', 99, { tie: true })));
  lines.push('{"question_id": "q-broken", "winner": "model_a", ');
  const noJudge = arenaRow('zed', 'q-nojudge', 'split-style', 98);
  delete noJudge.judge;
  lines.push(JSON.stringify(noJudge));
  const noB = arenaRow('zed', 'q-nob', 'split-style', 97);
  delete noB.conversation_b;
  lines.push(JSON.stringify(noB));
  return lines.join('\n') + '\n';
}

/** PRISM conversations (one turn, two responses each: one pair) and a survey. */
export function prismFiles(plan: Record<string, Kind[]>): { conversations: string; survey: string } {
  const rows: string[] = [];
  let i = 0;
  for (const [user, kinds] of Object.entries(plan)) {
    for (const kind of kinds) {
      i++;
      const { chosen, rejected } = responses(kind, i);
      rows.push(
        JSON.stringify({
          conversation_id: `c${i}`,
          user_id: user,
          conversation_type: i % 3 ? 'unguided' : 'values guided',
          conversation_history: [
            { role: 'user', content: `Question ${i} from ${user}`, turn: 0 },
            {
              role: 'model',
              content: chosen,
              model_name: 'm1',
              score: 80,
              if_chosen: true,
              within_turn_id: 0,
              turn: 0,
            },
            {
              role: 'model',
              content: rejected,
              model_name: 'm2',
              score: 40,
              if_chosen: false,
              within_turn_id: 1,
              turn: 0,
            },
          ],
        }),
      );
    }
  }
  rows.push(JSON.stringify({ conversation_id: 'c-bad', user_id: 'alice', conversation_type: 'unguided' }));
  const survey = Object.keys(plan).map((u, k) =>
    JSON.stringify({ user_id: u, age: `${25 + k}-${34 + k}`, gender: k % 2 ? 'Female' : 'Male', location: 'Paris' }),
  );
  survey.push(JSON.stringify({ age: '40' }));
  return { conversations: rows.join('\n') + '\n', survey: survey.join('\n') + '\n' };
}

function section(text: string, tag: string): string {
  const m = new RegExp(`<${tag}>\\n([\\s\\S]*?)\\n</${tag}>`).exec(text);
  return m?.[1] ?? '';
}

/** The classifier and the judges, on one server: the model name says which one is asked. */
export function benchBrain(req: BrainRequest): string {
  const user = req.messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n');
  const a = section(user, 'response_a');
  const b = section(user, 'response_b');
  const props = (req.schema?.properties ?? {}) as Record<string, unknown>;
  const system = req.messages.find((m) => m.role === 'system')?.content ?? '';
  if ('personalizable' in props || /personalizable/.test(system.slice(-200))) {
    const same = a.split('\n')[0] === b.split('\n')[0];
    return JSON.stringify({
      reason: same ? 'Both give the same answer; they differ only in style.' : 'One answer is factually different.',
      personalizable: same,
    });
  }
  if ('persona' in props) return JSON.stringify({ reasoning: 'r', persona: 'Prefers short, direct answers.' });
  if ('facts' in props) return JSON.stringify({ facts: ['Likes brevity.'] });
  const marker = req.model === 'j2' ? '(j2)' : req.model === 'j1' ? '(j1)' : undefined;
  let pick: 'A' | 'B';
  if (marker) pick = b.includes(marker) && !a.includes(marker) ? 'B' : 'A';
  else pick = a.length <= b.length ? 'A' : 'B'; // other models: prefer the shorter reply
  return JSON.stringify({ reasoning: `picked ${pick}`, preference: pick });
}

/** Well-formedness of the SVG we generate: one root, every tag closed in order. */
export function xmlWellFormed(text: string): boolean {
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let m: RegExpExecArray | null;
  let roots = 0;
  let last = 0;
  while ((m = re.exec(text))) {
    const between = text.slice(last, m.index);
    if (/[<>]/.test(between)) return false;
    last = re.lastIndex;
    const [, close, name, , self] = m;
    if (close) {
      if (stack.pop() !== name) return false;
    } else if (!self) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  return stack.length === 0 && roots === 1 && !/[<>]/.test(text.slice(last));
}
