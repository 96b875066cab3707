// Errors the CLI turns into exit codes without a stack trace (CLI.md): 2 for bad usage or
// bad input, 1 for a run that failed.

export class UsageError extends Error {
  readonly exitCode = 2;
}

export class RunFailedError extends Error {
  readonly exitCode = 1;
}
