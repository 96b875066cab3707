// VS Code's language-model failures as the engine's LlmError kinds, so that a run reports them as failed calls
// (incomplete, resumable) and never as answers. The API says little: a LanguageModelError's code (NoPermissions,
// Blocked, NotFound), and for the rest its message (a provider's rate limit or quota). Pure (no `vscode`): unit-tested.

import { LlmError, type ProviderCall } from '../../core/llm';

/** What a failure carries across the extension host: vscode.LanguageModelError, CancellationError, or any Error. */
interface Failure {
  name?: unknown;
  code?: unknown;
  message?: unknown;
}

const RATE_LIMIT = /rate[ _-]?limit|too many requests|\b429\b|throttl/i;
const QUOTA = /quota|premium requests?|usage limit|out of credit|exceeded your|billing/i;

export function lmError(
  err: unknown,
  where: { baseUrl: string; call: Pick<ProviderCall, 'model' | 'purpose'> },
  cancelled: boolean,
): LlmError {
  if (err instanceof LlmError) return err;
  const model = where.call.model;
  const base = {
    provider: 'vscode-lm' as const,
    baseUrl: where.baseUrl,
    model,
    purpose: where.call.purpose,
    cause: err,
  };
  const f: Failure = typeof err === 'object' && err !== null ? (err as Failure) : { message: String(err) };
  const code = typeof f.code === 'string' ? f.code : '';
  const said = typeof f.message === 'string' ? f.message : String(err);
  const detail = { detail: said };
  if (cancelled || f.name === 'Canceled' || f.name === 'AbortError')
    return new LlmError('aborted', 'The call was cancelled.', { ...base, retryable: false });
  if (code === 'NoPermissions')
    return new LlmError(
      'auth',
      `SynthesizeMe Studio may not use the language model ${model}: VS Code's permission was refused or not given. ` +
        'Run the command again and allow it when VS Code asks, or choose another provider with ' +
        '"SynthesizeMe: Select Provider and Model". The run is incomplete: the same command resumes it.',
      { ...base, ...detail, retryable: false, stopsRun: true },
    );
  if (code === 'NotFound')
    return new LlmError(
      'not-found',
      `VS Code has no language model ${model} (is the extension that provides it installed, enabled and signed in?). ` +
        'Choose one with "SynthesizeMe: Select Provider and Model".',
      { ...base, ...detail, retryable: false, stopsRun: true },
    );
  // A rate limit passes: retried after a wait. A spent quota, or a provider that blocks this requester, does not.
  if (RATE_LIMIT.test(said) && !QUOTA.test(said))
    return new LlmError('rate-limit', `The language model ${model} is rate limited: ${said}`, { ...base, ...detail });
  if (code === 'Blocked' || QUOTA.test(said))
    return new LlmError(
      'quota',
      `The language model ${model} refused the request (quota or rate limit: ${said}). ` +
        'The run is incomplete: run the same command again later to resume (the answers so far are cached).',
      { ...base, ...detail, retryable: false, stopsRun: true },
    );
  return new LlmError('server', `The language model ${model} failed: ${said}`, {
    ...base,
    ...detail,
    retryable: false,
  });
}
