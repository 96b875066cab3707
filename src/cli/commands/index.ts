// Every CLI command, in the order `--help` lists them.

import type { Command } from '../command';
import { inspectCommand } from './inspect';
import { fitCommand } from './fit';
import { evalCommand } from './eval';
import { judgeCommand } from './judge';
import { compareCommand } from './compare';
import { reportCommand } from './report';
import { transcriptCommand } from './transcript';
import { revalidateCommand } from './revalidate';
import { runsCommand } from './runs';
import { exportCommand } from './export';
import { importCommand } from './import';
import { cacheCommand } from './cache';
import { benchCommand } from './bench';
import { classifyCommand } from './classify';
import { thetaCommand } from './theta';
import { collectCommand } from './collect';

export const commands: Command[] = [
  inspectCommand,
  importCommand,
  fitCommand,
  evalCommand,
  judgeCommand,
  compareCommand,
  reportCommand,
  transcriptCommand,
  revalidateCommand,
  runsCommand,
  exportCommand,
  classifyCommand,
  benchCommand,
  thetaCommand,
  collectCommand,
  cacheCommand,
];
