// Errors the CLI turns into exit codes without a stack trace (CLI.md): 2 for bad usage or
// bad input, 1 for a run that failed.

import { UserError } from '../core/user-error';

export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
  }
}

export class RunFailedError extends UserError {
  constructor(message: string) {
    super(message, 1);
  }
}
