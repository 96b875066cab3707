// Issue 20: a gzipped import streams. Peak memory of importing (1) a 1 MB gzip that decompresses to one
// huge line of about 1 GB (a decompression bomb: gunzipping it whole took 2.1 GB) and (2) a gzip of real-
// shaped HH rows. Peak RSS is sampled during the import. Printed, never asserted; `smoke` uses small files.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { importFile } from '../../src/core/data/importers/index';
import { benchDir } from './bench-dir';

async function peak<T>(run: () => Promise<T>): Promise<{ result: T | Error; ms: number; peakMb: number }> {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let top = base;
  const timer = setInterval(() => (top = Math.max(top, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  let result: T | Error;
  try {
    result = await run();
  } catch (err) {
    result = err as Error;
  } finally {
    clearInterval(timer);
  }
  top = Math.max(top, process.memoryUsage().rss);
  return { result, ms: performance.now() - t0, peakMb: (top - base) / 1048576 };
}

function hhRows(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    const h = `\n\nHuman: Question ${i}: how should I water a ${i % 2 ? 'cactus' : 'fern'}?`;
    out +=
      JSON.stringify({
        chosen: `${h}\n\nAssistant: ${'Sparingly, and only when the soil is dry. '.repeat(4)}`,
        rejected: `${h}\n\nAssistant: Every day.`,
      }) + '\n';
  }
  return out;
}

export async function benchImport(opts: { smoke?: boolean } = {}): Promise<{ bombRefused: boolean; records: number }> {
  const dir = benchDir('sm-bench-import-');
  try {
    const bombBytes = opts.smoke ? 8 * 1048576 : 1024 * 1048576;
    const bomb = join(dir, 'bomb.jsonl.gz');
    writeFileSync(
      bomb,
      gzipSync(Buffer.concat([Buffer.from('{"chosen": "'), Buffer.alloc(bombBytes, 0x61), Buffer.from('"}\n')]), {
        level: 9,
      }),
    );
    const rows = join(dir, 'hh.jsonl.gz');
    writeFileSync(rows, gzipSync(hhRows(opts.smoke ? 2000 : 100000)));
    // Smoke: a smaller bomb against a smaller line limit, the same path.
    const b = await peak(() => importFile('hh', [bomb], opts.smoke ? { gzip: { maxLineBytes: 1048576 } } : {}));
    const what =
      b.result instanceof Error
        ? `refused: ${b.result.message}`
        : `read: ${b.result.problems[0]?.message ?? 'no problem'}`;
    console.log(
      `import: a gzip decompressing to one ${(bombBytes / 1048576).toFixed(0)} MB line${opts.smoke ? ' (smoke)' : ''}: peak rss +${b.peakMb.toFixed(0)} MB, ${b.ms.toFixed(0)} ms; ${what}`,
    );
    const r = await peak(() => importFile('hh', [rows]));
    const n = r.result instanceof Error ? 0 : r.result.records.length;
    console.log(
      `import: a gzip of ${n.toLocaleString('en-US')} HH rows: peak rss +${r.peakMb.toFixed(0)} MB, ${r.ms.toFixed(0)} ms${global.gc ? '' : ' (run with --expose-gc for exact figures)'}`,
    );
    return {
      bombRefused: b.result instanceof Error || /exceeds the .* limit/.test(b.result.problems[0]?.message ?? ''),
      records: n,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
