// The engine's endpoint client for VS Code's language models (vscode.lm: Copilot's, or another extension's), given to
// core through LlmOptions.faceClient: core never imports `vscode`. A model is chosen by `vendor/id`; each call folds
// the system text into the first user message (the API has no system role), sends it with a justification (VS Code
// asks the user's consent on the first request of a run the user started), and streams the answer. No JSON schema
// reaches the API: the engine's tolerant parsing reads the answer. Token counts come from the model's own countTokens
// (the API reports none), else from the engine's estimate.

import * as vscode from 'vscode';
import {
  type EndpointCheck,
  type EndpointClient,
  estimateTextTokens,
  type ModelInfo,
  type ProviderCall,
  type ProviderReply,
  type Usage,
} from '../../core/llm';
import { readCapped } from './capped-stream';
import { foldSystem } from './fold-messages';
import { lmError } from './lm-errors';
import { lmIdentity, lmModelName, lmSelectorOf } from './lm-model-names';

/** What VS Code shows when it asks the user whether SynthesizeMe Studio may use a model. */
export const LM_JUSTIFICATION =
  'SynthesizeMe Studio asks this model to judge which of two answers a user prefers, and to write personas, ' +
  'in the runs you start (one request per judged order).';

export class VscodeLmClient implements EndpointClient {
  readonly kind = 'vscode-lm' as const;
  readonly takesSchemas = false;
  private readonly models = new Map<string, Promise<vscode.LanguageModelChat>>();

  private saidUnsent = false;

  constructor(
    readonly baseUrl: string,
    private readonly log: (level: 'warn', message: string) => void = () => undefined,
  ) {}

  /** Once per client: the run's temperature and seed are not applied (the API takes none), said, not ignored. */
  private sayUnsent(call: ProviderCall): void {
    if (this.saidUnsent) return;
    this.saidUnsent = true;
    const seed = call.seed !== undefined ? ` and seed ${call.seed}` : '';
    this.log(
      'warn',
      `VS Code's language-model API takes no temperature or seed: ${call.model} answers at its own ` +
        `(the run's temperature ${call.temperature}${seed} are recorded but not applied; the output cap is kept ` +
        'on this side, an answer clearly past it is cut and refused where the whole answer is needed)',
    );
  }

  async chat(call: ProviderCall, signal: AbortSignal | undefined): Promise<ProviderReply> {
    const source = new vscode.CancellationTokenSource();
    const cancel = () => source.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      if (signal?.aborted) throw new vscode.CancellationError();
      const model = await this.model(call.model);
      const messages = foldSystem(call.messages).map((m) =>
        m.role === 'user'
          ? vscode.LanguageModelChatMessage.User(m.content)
          : vscode.LanguageModelChatMessage.Assistant(m.content),
      );
      this.sayUnsent(call);
      const response = await model.sendRequest(messages, { justification: LM_JUSTIFICATION }, source.token);
      const { text, cut } = await readCapped(response.text, call.maxTokens, call.onText);
      // A cut answer: the model is told to stop (the request is cancelled), then the tokens are counted.
      if (!cut) return { text, usage: await usageOf(model, messages, text, source.token) };
      source.cancel();
      // The request's token is cancelled now: the count gets a token of its own, disposed after.
      const counting = new vscode.CancellationTokenSource();
      try {
        return { text, usage: await usageOf(model, messages, text, counting.token), finishReason: 'length' };
      } finally {
        counting.dispose();
      }
    } catch (err) {
      throw lmError(err, { baseUrl: this.baseUrl, call }, signal?.aborted === true);
    } finally {
      signal?.removeEventListener('abort', cancel);
      source.dispose();
    }
  }

  async listModels(): Promise<ModelInfo[]> {
    const models = await vscode.lm.selectChatModels();
    return models.map((m) => ({ name: lmModelName(m), contextLength: m.maxInputTokens, identity: lmIdentity(m) }));
  }

  async check(): Promise<EndpointCheck> {
    return { version: `VS Code ${vscode.version}`, models: await this.listModels() };
  }

  /** The model of that name, looked up once per client (a settings change makes a new client). */
  private model(name: string): Promise<vscode.LanguageModelChat> {
    const known = this.models.get(name);
    if (known) return known;
    const found = Promise.resolve(vscode.lm.selectChatModels(lmSelectorOf(name))).then((all) => {
      const m = all.find((x) => lmModelName(x) === name) ?? all.find((x) => x.id === name);
      if (!m) throw notFound(name);
      return m;
    });
    // A model not there yet (its extension still starting) may be there on the next call.
    found.catch(() => this.models.delete(name));
    this.models.set(name, found);
    return found;
  }
}

function notFound(name: string): Error {
  return Object.assign(new Error(`no language model named ${name}`), { code: 'NotFound' });
}

/** The model's own counts when it can count, else the engine's estimate (the API reports no usage). */
async function usageOf(
  model: vscode.LanguageModelChat,
  messages: readonly vscode.LanguageModelChatMessage[],
  answer: string,
  token: vscode.CancellationToken,
): Promise<Usage> {
  try {
    const counts = await Promise.all([...messages, answer].map((m) => model.countTokens(m, token)));
    const completionTokens = counts.pop() ?? 0;
    return { promptTokens: counts.reduce((a, b) => a + b, 0), completionTokens };
  } catch {
    const prompt = messages.map((m) => textOf(m)).join('\n');
    return { promptTokens: estimateTextTokens(prompt), completionTokens: estimateTextTokens(answer) };
  }
}

function textOf(m: vscode.LanguageModelChatMessage): string {
  return m.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
}
