// What an error notification says and which buttons it offers. Pure (no `vscode`), so the wording is
// unit-tested: an LLM failure keeps the engine's summary and gets the editor's advice (a setting, a
// command) instead of the CLI's flags and environment variables.

import { adviseText, cliAdvice, isLlmError, type LlmAdvice } from '../core/llm';

export const NoticeActions = {
  openSettings: 'Open Settings',
  selectModel: 'Select Model',
  showLog: 'Show Log',
} as const;

export type NoticeAction = (typeof NoticeActions)[keyof typeof NoticeActions];

export interface ErrorNotice {
  text: string;
  actions: NoticeAction[];
}

/** The editor's words for each advice (the CLI's are `cliAdvice` in the engine). */
export function editorAdvice(a: LlmAdvice): string {
  switch (a.kind) {
    case 'start-server':
      return a.provider === 'ollama'
        ? 'Is Ollama running? Start it with `ollama serve`, or set the address where it runs in the synthesizeme.baseUrls setting.'
        : 'Check that the server is running and the synthesizeme.baseUrls setting.';
    case 'check-base-url':
      return a.provider === 'ollama'
        ? 'Check the synthesizeme.baseUrls setting: it should name an Ollama server.'
        : 'Check the synthesizeme.baseUrls setting: the base URL of an OpenAI-compatible API usually ends in /v1.';
    case 'slow-server':
      return 'A model that is still loading can take minutes: run it again once the server has loaded it.';
    case 'api-key':
      return "Check the API key: SynthesizeMe: Set API Key keeps it in VS Code's secret storage.";
    case 'api-key-env':
      return '(named by the synthesizeme.apiKeyEnv setting)';
    case 'choose-model':
      return "Choose one of the server's models with SynthesizeMe: Select Model.";
    case 'set-model':
      return 'choose one with SynthesizeMe: Select Model.';
    case 'lower-concurrency':
      return 'Lower the synthesizeme.concurrency setting, or wait.';
    case 'raise-num-ctx':
      return 'Raise the synthesizeme.numCtx setting, or update Ollama:';
    case 'serve-reward-model':
      return (
        "Serve the reward model with vLLM's pooling runner (vllm serve MODEL --runner pooling), or set " +
        `synthesizeme.reward.endpoint to ${a.endpoint === 'classify' ? 'pooling' : 'classify'} if the model is served for that one.`
      );
    case 'embeddings':
      return (
        'Use an embedding model the server has (Ollama: `ollama pull nomic-embed-text`), or start ' +
        "llama.cpp's server with `--embeddings` (vLLM: serve an embedding model with `--runner pooling`)."
      );
  }
}

/** Every advice there is (the key variable's name does not appear in its phrase). */
const ALL_ADVICE: LlmAdvice[] = [
  ...(['ollama', 'openai'] as const).flatMap((provider): LlmAdvice[] => [
    { kind: 'start-server', provider },
    { kind: 'check-base-url', provider },
  ]),
  { kind: 'slow-server' },
  { kind: 'api-key' },
  { kind: 'api-key-env', variable: '' },
  { kind: 'choose-model' },
  { kind: 'set-model' },
  { kind: 'lower-concurrency' },
  { kind: 'raise-num-ctx' },
  { kind: 'serve-reward-model', endpoint: 'classify' },
  { kind: 'serve-reward-model', endpoint: 'pooling' },
  { kind: 'embeddings' },
];

/**
 * A message that quotes an LLM error's text (a failed call's reason kept in a run file, an error wrapped
 * in another): the CLI's advice in it, said the editor's way.
 */
export function rephraseAdvice(text: string): string {
  let out = text;
  for (const a of ALL_ADVICE) out = out.split(cliAdvice(a)).join(editorAdvice(a));
  return out;
}

/** Failures the provider, model or server settings can fix. */
const SETTINGS_KINDS = new Set(['connection', 'not-found', 'auth']);

/** The message of any error as the extension shows it. */
export function editorErrorText(err: unknown): string {
  if (isLlmError(err)) return adviseText(err, editorAdvice);
  return rephraseAdvice(err instanceof Error ? err.message : String(err));
}

/**
 * The notification for a failed command: which server or model problem it is decides the buttons
 * (Open Settings and Select Model where a setting can fix it; the log always).
 */
export function errorNotice(err: unknown, prefix = ''): ErrorNotice {
  const text = `SynthesizeMe: ${prefix}${editorErrorText(err)}`;
  if (
    isLlmError(err) &&
    (SETTINGS_KINDS.has(err.kind) || err.advice?.kind === 'set-model' || err.advice?.kind === 'api-key-env')
  ) {
    return { text, actions: [NoticeActions.openSettings, NoticeActions.selectModel, NoticeActions.showLog] };
  }
  if (isLlmError(err) && (err.advice?.kind === 'lower-concurrency' || err.advice?.kind === 'raise-num-ctx')) {
    return { text, actions: [NoticeActions.openSettings, NoticeActions.showLog] };
  }
  return { text, actions: [NoticeActions.showLog] };
}
