// The one error type for expected failures: bad input, a missing file, a refused setting, a run that
// cannot go on. Its message is the whole report (one line, no stack); the CLI exits with its code
// (2 for bad usage or input, 1 for a run that failed). Anything else that is thrown is a bug: the CLI
// prints its stack (always with --debug) and the extension logs it with its stack.

export class UserError extends Error {
  override readonly name = 'UserError';
  readonly expected = true;

  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An expected failure: a UserError, or another error that declares itself expected (LlmError). */
export function isExpected(err: unknown): boolean {
  return (
    err instanceof UserError ||
    (typeof err === 'object' && err !== null && (err as { expected?: unknown }).expected === true)
  );
}

/** The text to log for an error: the message of an expected one, the stack of anything else. */
export function logText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return isExpected(err) ? err.message : (err.stack ?? `${err.name}: ${err.message}`);
}
