// The history chart's series (version-history.ts historySeries): one per split, method and model, each point
// one run's figure, so runs of three models are three lines and never one point; the newest run of a kind
// per version; the fit's validation scores as their own series.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { historySeries, type VersionEntry, type VersionRun } from '../../src/core/eval/version-history';

function run(model: string, method: string, accuracy: number, created: string, split = 'test'): VersionRun {
  return {
    id: `${model}-${method}-${created}`,
    path: `/runs/${model}.run.jsonl`,
    method,
    split,
    model,
    created,
    accuracy,
    ci95: [accuracy - 0.1, accuracy + 0.1],
  };
}

function version(id: string, runs: VersionRun[], validation?: number): VersionEntry {
  return {
    kind: 'persona',
    name: 'ada',
    id,
    hash: `sha256:${id}`,
    created: '2026-12-01T00:00:00.000Z',
    origin: 'fit',
    current: id === 'current',
    ...(validation !== undefined ? { validation } : {}),
    runs,
  };
}

describe('history series', () => {
  test('runs of three models are three series, never one averaged point', () => {
    const versions = [
      version(
        'v1',
        [
          run('llama3.1:8b', 'persona+demos', 0.6, '2026-12-01T01:00:00Z'),
          run('qwen2.5:7b', 'persona+demos', 0.8, '2026-12-01T02:00:00Z'),
          run('gemma3:4b', 'persona+demos', 0.4, '2026-12-01T03:00:00Z'),
        ],
        0.7,
      ),
      version('current', [
        run('llama3.1:8b', 'persona+demos', 0.65, '2026-12-02T01:00:00Z'),
        run('qwen2.5:7b', 'persona+demos', 0.5, '2026-12-02T02:00:00Z'),
        run('qwen2.5:7b', 'persona+demos', 0.85, '2026-12-02T03:00:00Z'),
        run('qwen2.5:7b', 'default', 0.55, '2026-12-02T04:00:00Z'),
      ]),
    ];
    const series = historySeries(versions);
    assert.deepEqual(
      series.map((s) => [s.name, s.points.map((p) => [p.x, p.y])]),
      [
        ['fit (validation)', [[1, 0.7]]],
        [
          'test · persona+demos · llama3.1:8b',
          [
            [1, 0.6],
            [2, 0.65],
          ],
        ],
        [
          'test · persona+demos · qwen2.5:7b',
          [
            [1, 0.8],
            [2, 0.85],
          ],
        ],
        ['test · persona+demos · gemma3:4b', [[1, 0.4]]],
        ['test · default · qwen2.5:7b', [[2, 0.55]]],
      ],
      'per model and method; the newest run of a kind per version (0.85, not 0.5)',
    );
    assert.deepEqual(
      series.slice(1).map((s) => [s.split, s.method, s.model]),
      [
        ['test', 'persona+demos', 'llama3.1:8b'],
        ['test', 'persona+demos', 'qwen2.5:7b'],
        ['test', 'persona+demos', 'gemma3:4b'],
        ['test', 'default', 'qwen2.5:7b'],
      ],
    );
    const llama = series[1]!.points[0]!;
    assert.deepEqual([llama.low, llama.high], [0.6 - 0.1, 0.6 + 0.1], 'each point keeps its own interval');
  });

  test('a run without figures draws no point; no validation, no fit series', () => {
    const unfinished = { ...run('qwen2.5:7b', 'default', 0, '2026-12-01T00:00:00Z'), accuracy: null, ci95: null };
    assert.deepEqual(historySeries([version('current', [unfinished])]), []);
  });
});
