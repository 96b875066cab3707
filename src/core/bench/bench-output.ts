// Where the benchmark jobs write in a workspace (.synthesizeme/bench/: the CLI and VS Code find the same
// files) and how a report or chart is written: under the write guard, never through a planted link.

import { dirname, join } from 'node:path';
import type { WorkspaceLayout } from '../workspace/layout';
import { mkdirChecked, writeFileChecked } from '../write-guard';
import { modelSlug } from './fit-store';

/** .synthesizeme/bench/ of a workspace: the benchmark's charts, reports and scaling personas. */
export function benchDir(layout: Pick<WorkspaceLayout, 'runsDir'>): string {
  return join(layout.runsDir, '..', 'bench');
}

/** Where VS Code writes a bench run's table: .synthesizeme/bench/run-<model>.md. */
export function benchReportFile(layout: Pick<WorkspaceLayout, 'runsDir'>, model: string): string {
  return join(benchDir(layout), `run-${modelSlug(model)}.md`);
}

export async function writeBenchText(path: string, text: string): Promise<void> {
  await mkdirChecked(dirname(path));
  await writeFileChecked(path, text);
}
