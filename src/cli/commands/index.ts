// Every CLI command, in the order `--help` lists them.

import type { Command } from '../command';
import { inspectCommand } from './inspect';

export const commands: Command[] = [inspectCommand];
