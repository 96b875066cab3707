// `npm run bench`: every speed and memory goal of the project, measured and printed (never asserted in tests).

import { benchIndex } from './index-bench';
import { benchEngine } from './engine-bench';
import { benchProviders } from './providers';
import { benchExtension } from './extension-bench';
import { benchPipeline } from './pipeline';
import { benchRealServer } from './real-server';
import { benchStats } from './stats-bench';
import { benchGrid } from './grid-bench';

async function main(): Promise<void> {
  // Flags (--json) go to the benches that read them; the other arguments name the benches to run.
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const json = process.argv.includes('--json');
  const benches: [string, () => Promise<void>][] = [
    ['index', benchIndex],
    ['providers', benchProviders],
    ['engine', benchEngine],
    ['extension', benchExtension],
    ['pipeline', benchPipeline],
    ['real', benchRealServer],
    ['stats', () => benchStats({ json })],
    ['grid', benchGrid],
    ['collect', async () => (await import('./collect-bench')).benchCollect()],
    ['collect-append', async () => void (await (await import('./collect-bench')).benchAppend())],
    ['import', async () => void (await (await import('./import-bench')).benchImport())],
  ];
  for (const [name, run] of benches) {
    if (only.length && !only.includes(name)) continue;
    console.log(`--- ${name}`);
    await run();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
