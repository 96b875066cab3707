// What the report tests share: a workspace written by hand (pairs, a persona, run files) whose every text can
// carry a planted payload, and the report's HTML taken apart (its JSON blocks, its one script, its CSP).

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { personaFileName, serializePersona } from '../../src/core/method/persona-file';
import { textHash } from '../../src/core/text-hash';
import { createRng } from '../../src/core/random';

/** Markup and scripts that must stay text: each would run, or end its element, if the report let it through. */
export const PAYLOADS = [
  '<img src=x onerror="globalThis.__pwned=1">',
  '</script><script>globalThis.__pwned=2</script>',
  '<!--<script>globalThis.__pwned=3</script>',
  '<svg onload="globalThis.__pwned=4">',
  '"><iframe src="https://example.invalid/x"></iframe>',
];
export const HOSTILE = PAYLOADS.join(' ');

export interface RunSpec {
  id: string;
  method: string;
  label?: string;
  /** Chance each order is right. */
  accuracy: number;
  seed?: number;
  reasoning?: string;
  inputs?: Record<string, string>;
  created?: string;
}

export interface HandWorkspace {
  dir: string;
  ws: string;
  users: string[];
  /** Every pair's id, by user. */
  pairIds: Map<string, string[]>;
  personaHash: Map<string, string>;
}

/** A workspace of `users` users with `pairs` test pairs each, texts and ids carrying `text`, one persona per user. */
export function handWorkspace(users: string[], pairs: number, text = ''): HandWorkspace {
  const dir = mkdtempSync(join(tmpdir(), 'sm-report-'));
  const ws = join(dir, 'ws');
  mkdirSync(join(ws, 'personas'), { recursive: true });
  mkdirSync(join(ws, '.synthesizeme', 'runs'), { recursive: true });
  const lines: string[] = [];
  const pairIds = new Map<string, string[]>();
  const personaHash = new Map<string, string>();
  for (const user of users) {
    const ids = Array.from(
      { length: pairs },
      (_, i) => `${user}-${i}${text && (i === 0 || i === 2) ? ` ${text}` : ''}`,
    );
    pairIds.set(user, ids);
    ids.forEach((pairId, i) =>
      lines.push(
        JSON.stringify({
          user_id: user,
          pair_id: pairId,
          split: i < 2 ? 'context' : 'test',
          context: [{ role: 'user', content: `Question ${i} of ${user} ${text}` }],
          chosen: `The short answer ${i} ${text}`,
          rejected: `The long answer ${i}, which wanders ${text}`,
        }),
      ),
    );
    const persona = serializePersona({
      userId: user,
      persona: `Likes short answers. ${text}`,
      demos: [{ pairId: ids[0]!, order: 'AB', preference: 'A', reasoning: `Shorter. ${text}` }],
      provenance: {
        provider: 'ollama',
        model: 'm',
        seed: 0,
        temperature: 0,
        k: 1,
        stopScore: 1,
        prompts: {},
        created: '2025-01-01T00:00:00.000Z',
      },
    });
    const file = join(ws, 'personas', personaFileName(user));
    writeFileSync(file, persona);
    personaHash.set(user, textHash(persona));
  }
  writeFileSync(join(ws, 'prefs.jsonl'), lines.join('\n') + '\n');
  return { dir, ws, users, pairIds, personaHash };
}

/** A run file of the workspace, judged at random with the spec's accuracy; its path. */
export function writeRun(h: HandWorkspace, spec: RunSpec, summary = true): string {
  const rng = createRng(spec.seed ?? 1);
  const lines = [
    JSON.stringify({
      type: 'header',
      version: 1,
      id: spec.id,
      method: spec.method,
      split: 'test',
      provider: 'ollama',
      model: 'llama3.1:8b',
      modelDigest: 'sha256:0123456789abcdef',
      seed: 0,
      temperature: 0,
      users: h.users,
      created: spec.created ?? '2025-02-01T00:00:00.000Z',
      inputs: spec.inputs ?? { judge: 'sha256:aaaaaaaaaaaaaaaa' },
      ...(spec.label ? { label: spec.label } : {}),
    }),
  ];
  let right = 0;
  let samples = 0;
  for (const user of h.users)
    for (const [i, pairId] of h.pairIds.get(user)!.entries()) {
      if (i < 2) continue;
      const orders = (['AB', 'BA'] as const).map((order) => {
        const correct = rng() < spec.accuracy;
        right += correct ? 1 : 0;
        samples++;
        return {
          order,
          preference: correct === (order === 'AB') ? 'A' : 'B',
          correct,
          reasoning: spec.reasoning ?? `Reason for ${pairId} in ${order}`,
        };
      });
      lines.push(JSON.stringify({ type: 'verdict', userId: user, pairId, file: 'prefs.jsonl', line: i + 1, orders }));
    }
  if (summary)
    lines.push(
      JSON.stringify({
        type: 'summary',
        accuracy: right / samples,
        ci95: [Math.max(0, right / samples - 0.1), Math.min(1, right / samples + 0.1)],
        consistency: 0.5,
        samples,
        pairs: samples / 2,
        users: [],
        completed: '2025-02-01T01:00:00.000Z',
        complete: true,
      }),
    );
  const path = join(h.ws, '.synthesizeme', 'runs', `${spec.method.replace(/\W/g, '-')}-test-${spec.id}.run.jsonl`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

export interface HtmlParts {
  /** The JSON blocks by id, as written (the text between the tags). */
  blocks: Map<string, string>;
  /** The executable scripts' texts (no type). */
  scripts: string[];
  csp: string;
  /** The HTML with the JSON blocks' contents cut out: everything the HTML parser reads as markup. */
  markup: string;
}

export function htmlParts(html: string): HtmlParts {
  const blocks = new Map<string, string>();
  const markup = html.replace(
    /<script type="application\/json" id="([^"]+)">([\s\S]*?)<\/script>/g,
    (_, id: string, body: string) => {
      blocks.set(id, body);
      return `<script type="application/json" id="${id}"></script>`;
    },
  );
  const scripts = [...markup.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
  return { blocks, scripts, csp, markup };
}
