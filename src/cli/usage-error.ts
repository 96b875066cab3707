// Bad usage of the CLI (CLI.md): exit code 2 without a stack trace. A run that failed throws the core's
// UserError with exit code 1.

import { UserError } from '../core/user-error';

export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
  }
}
