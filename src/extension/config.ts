// Typed view of the `synthesizeme.*` settings.

import * as vscode from 'vscode';
import type { SplitOptions } from '../core/data/splits';

export interface Config {
  include: string[];
  split: SplitOptions;
}

export function readConfig(): Config {
  const c = vscode.workspace.getConfiguration('synthesizeme');
  const ratios = c.get<number[]>('split.ratios', [50, 20, 30]);
  return {
    include: c.get<string[]>('files.include', ['**/*.prefs.{jsonl,json,yaml,yml}', '**/*.jsonl']),
    split: {
      ratios: ratios.length === 3 ? [ratios[0]!, ratios[1]!, ratios[2]!] : [50, 20, 30],
      seed: c.get<number>('seed', 0),
      temporal: c.get<boolean>('split.temporal', false),
      minPairs: c.get<number>('split.minPairs', 5),
    },
  };
}
