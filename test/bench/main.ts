// `npm run bench`: every speed and memory goal of the project, measured and printed (never asserted in tests).
// `npm run bench -- --smoke`: every bench at tiny sizes, so that the unit tests can run them all
// (test/unit/bench-smoke.test.ts) and a bench cannot break unseen. Its figures mean nothing.
// `npm run bench -- NAME...` runs only the benches named; `--json` goes to the benches that read it, and so do
// a bench's own options (`npm run bench -- real --slots=1,4`).
//
// Every step runs even when an earlier one failed (a failure says which step, and the others' figures still
// count); the exit status is 1 when any step failed. A step whose tool is absent (a real model server, promptfoo)
// says so in one line and is counted as skipped.

import { PIPELINE_CHILD_FLAG } from './pipeline';
import { BENCHES, type BenchStep } from './steps';

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function runStep(
  step: BenchStep,
  smoke: boolean,
  json: boolean,
  args: readonly string[],
): Promise<'ran' | 'skipped' | 'failed'> {
  console.log(`--- ${step.name}${smoke ? ' (smoke)' : ''}`);
  const t0 = performance.now();
  try {
    const outcome = await step.run({ smoke, json, args });
    if (outcome?.skipped) {
      console.log(`--- ${step.name}: skipped (${outcome.skipped})`);
      return 'skipped';
    }
    console.log(`--- ${step.name}: done in ${formatSeconds(performance.now() - t0)}`);
    return 'ran';
  } catch (err) {
    console.log(`--- ${step.name}: FAILED after ${formatSeconds(performance.now() - t0)}`);
    console.error(err);
    return 'failed';
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const only = args.filter((a) => !a.startsWith('--'));
  const smoke = args.includes('--smoke');
  const json = args.includes('--json');
  const unknown = only.filter((name) => !BENCHES.some((b) => b.name === name));
  if (unknown.length) {
    console.error(`unknown bench: ${unknown.join(', ')} (the benches: ${BENCHES.map((b) => b.name).join(', ')})`);
    return 2;
  }
  const t0 = performance.now();
  const outcomes: Record<'ran' | 'skipped' | 'failed', string[]> = { ran: [], skipped: [], failed: [] };
  for (const step of BENCHES) {
    if (only.length && !only.includes(step.name)) continue;
    outcomes[await runStep(step, smoke, json, args)].push(step.name);
  }
  const failed = outcomes.failed.length ? ` (${outcomes.failed.join(', ')})` : '';
  const skipped = outcomes.skipped.length ? ` (${outcomes.skipped.join(', ')})` : '';
  console.log(
    `bench${smoke ? ' --smoke' : ''}: ${outcomes.ran.length} ran, ${outcomes.skipped.length} skipped${skipped}, ` +
      `${outcomes.failed.length} failed${failed} in ${formatSeconds(performance.now() - t0)}`,
  );
  return outcomes.failed.length ? 1 : 0;
}

// The pipeline bench forks this same bundle as its loopback server: that process serves, it runs no bench.
if (process.argv[2] !== PIPELINE_CHILD_FLAG) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
