// Test only (the e2e layer, where no test code runs in the extension host). One command registers a fake chat
// provider under the vendor this extension contributes: its one model answers every judge call with A, and writes
// down what it was sent (the first message's role and text) where the check reads it. Never a real service. The
// other invokes one of SynthesizeMe's language-model tools through vscode.lm.invokeTool, as agent mode does, and
// writes down its text. The integration suites register their own provider and do not use these commands.
const vscode = require('vscode');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** Where the check reads what happened (SYNTHESIZEME_FAKE_LM_LOG, set by the e2e runner). */
function logFile() {
  return process.env.SYNTHESIZEME_FAKE_LM_LOG || path.join(os.tmpdir(), 'synthesizeme-fake-lm.jsonl');
}

function note(record) {
  fs.appendFileSync(logFile(), JSON.stringify(record) + '\n');
}

const MODEL = {
  id: 'judge-1',
  name: 'Fake judge',
  family: 'fake-family',
  version: 'fake-2026-01',
  maxInputTokens: 100000,
  maxOutputTokens: 4096,
  capabilities: {},
};

function textOf(message) {
  return message.content.map((p) => (typeof p.value === 'string' ? p.value : '')).join('');
}

exports.activate = (context) => {
  let registered;
  context.subscriptions.push(
    vscode.commands.registerCommand('synthesizemeTest.registerFakeModel', () => {
      registered ??= vscode.lm.registerLanguageModelChatProvider('synthesizeme-test', {
        provideLanguageModelChatInformation: () => [MODEL],
        provideLanguageModelChatResponse: async (_model, messages, _options, progress) => {
          const first = messages[0];
          note({ kind: 'request', roles: messages.map((m) => m.role), first: first ? textOf(first) : '' });
          progress.report(new vscode.LanguageModelTextPart('{"reasoning": "The fake judge always picks A.", '));
          progress.report(new vscode.LanguageModelTextPart('"preference": "A"}'));
        },
        provideTokenCount: async (_model, text) =>
          Math.ceil((typeof text === 'string' ? text : textOf(text)).length / 4),
      });
      context.subscriptions.push(registered);
      void vscode.window.showInformationMessage('Fake language model registered: synthesizeme-test/judge-1');
      return 'synthesizeme-test/judge-1';
    }),
    vscode.commands.registerCommand('synthesizemeTest.invokeTool', async () => {
      // Judging spends model calls (the loopback Ollama's here): agent mode would confirm first; invokeTool has no UI.
      const input = { file: 'ada.prefs.jsonl', line: 1, withPersona: true };
      const r = await vscode.lm.invokeTool('synthesizeme_judgePair', { input, toolInvocationToken: undefined });
      const text = r.content.map((p) => (typeof p.value === 'string' ? p.value : '')).join('');
      note({ kind: 'tool', text });
      void vscode.window.showInformationMessage(`Tool result: ${text.split('\n')[0]}`);
      return text;
    }),
  );
};
