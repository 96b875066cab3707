// The benches `npm run bench` runs, in order, by the names it takes on its command line. Each takes `smoke`
// (tiny sizes, nothing downloaded, a tool that is absent skipped) and `json` (for the benches that print JSON).

import { benchIndex } from './index-bench';
import { benchEngine } from './engine-bench';
import { benchProviders } from './providers';
import { benchExtension } from './extension-bench';
import { benchPipeline } from './pipeline';
import { benchRealServer } from './real-server';
import { benchRealModels } from './real-models';
import { benchStats } from './stats-bench';
import { benchGrid } from './grid-bench';
import { benchAppend, benchCollect } from './collect-bench';
import { benchImport } from './import-bench';
import { benchScale } from './scale-bench';

export interface BenchRun {
  smoke: boolean;
  json: boolean;
  /** The command line's options (`--slots=1,2,4`...), for the benches that take their own. */
  args: readonly string[];
}

/** A step that could not run here says why in one line (`skipped`); nothing returned means it ran. */
export type BenchOutcome = void | { skipped: string };

export interface BenchStep {
  name: string;
  run(r: BenchRun): Promise<BenchOutcome>;
}

export const BENCHES: BenchStep[] = [
  { name: 'index', run: ({ smoke }) => benchIndex({ smoke }) },
  {
    name: 'providers',
    run: ({ smoke }) => benchProviders(smoke ? { smoke, pairs: 20, latencyMs: 5, concurrency: 8, repeats: 1 } : {}),
  },
  { name: 'engine', run: ({ smoke }) => benchEngine({ smoke }) },
  { name: 'extension', run: ({ smoke }) => benchExtension({ smoke }) },
  {
    name: 'pipeline',
    run: ({ smoke }) =>
      benchPipeline(smoke ? { rows: 400, users: 100, bigUsers: 30, latencyMs: 5, concurrency: 16 } : {}),
  },
  { name: 'real', run: ({ smoke, args }) => benchRealServer({ smoke, args }) },
  { name: 'real-models', run: ({ smoke }) => benchRealModels({ smoke }) },
  { name: 'stats', run: ({ smoke, json }) => benchStats({ json, ...(smoke ? { experiments: 4 } : {}) }) },
  { name: 'grid', run: ({ smoke }) => benchGrid({ smoke }) },
  { name: 'collect', run: ({ smoke }) => benchCollect({ smoke }) },
  { name: 'collect-append', run: async ({ smoke }) => void (await benchAppend({ smoke })) },
  { name: 'import', run: async ({ smoke }) => void (await benchImport({ smoke })) },
  { name: 'scale', run: ({ smoke }) => benchScale({ smoke }) },
];
