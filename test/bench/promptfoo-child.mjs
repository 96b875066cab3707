// Child process of the provider benchmark's promptfoo comparison (see promptfoo.ts): loads
// promptfoo from the tools folder given in argv[2], then, on each 'run' message from the parent,
// runs the judge job through promptfoo's Node API (`evaluate`) with its own OpenAI provider and
// reports the wall time of that call. Plain JavaScript so that it runs without a build; a process
// of its own so that promptfoo's environment, module graph and globals stay out of the benchmark.
//
// No network: besides promptfoo's own switches (telemetry, update check, sharing, remote
// generation: set by the parent), every socket to a non-loopback address is refused here and
// counted, so a figure that needed the network would say so.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { join } from 'node:path';

const blocked = [];
const loopback = (host) =>
  !host || host === 'localhost' || host === '::1' || /^127\./.test(host) || host === '::ffff:127.0.0.1';
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const first = args[0];
  const options = Array.isArray(first) ? first[0] : first;
  const host =
    typeof options === 'object' && options !== null ? options.host : typeof args[1] === 'string' ? args[1] : undefined;
  const path =
    typeof options === 'object' && options !== null ? options.path : typeof first === 'string' ? first : undefined;
  if (!path && !loopback(host)) {
    blocked.push(String(host));
    process.nextTick(() => this.destroy(new Error(`network access blocked by the benchmark: ${host}`)));
    return this;
  }
  return connect.apply(this, args);
};

function send(message) {
  process.send?.(message);
}

async function main() {
  const dir = process.argv[2];
  const t0 = performance.now();
  const promptfoo = createRequire(join(dir, 'package.json'))('promptfoo');
  const loadMs = performance.now() - t0;
  const { version } = JSON.parse(readFileSync(join(dir, 'node_modules', 'promptfoo', 'package.json'), 'utf8'));
  send({ type: 'ready', loadMs, version });

  process.on('message', async (m) => {
    if (m.type === 'exit') process.exit(0);
    if (m.type !== 'run') return;
    try {
      const testSuite = {
        description: 'SynthesizeMe provider benchmark',
        providers: [
          {
            id: `openai:chat:${m.model}`,
            config: {
              apiBaseUrl: m.url,
              apiKey: 'loopback',
              temperature: 0,
              response_format: { type: 'json_schema', json_schema: m.schema },
            },
          },
        ],
        // A chat prompt as JSON; promptfoo renders the vars inside its strings (escaped).
        prompts: [
          JSON.stringify([
            { role: 'system', content: '{{system}}' },
            { role: 'user', content: '{{user}}' },
          ]),
        ],
        tests: m.tests.map((vars) => ({ vars })),
        writeLatestResults: false,
        sharing: false,
      };
      const t1 = performance.now();
      const record = await promptfoo.evaluate(testSuite, {
        maxConcurrency: m.concurrency,
        cache: false,
        showProgressBar: false,
      });
      const wallMs = performance.now() - t1;
      const summary = await record.toEvaluateSummary();
      let answered = 0;
      let firstError;
      for (const r of summary.results) {
        const out = r.response?.output;
        let json = out;
        if (typeof out === 'string') {
          try {
            json = JSON.parse(out);
          } catch {
            json = undefined;
          }
        }
        if (json && (json.preference === 'A' || json.preference === 'B')) answered++;
        else firstError ??= r.error ?? r.response?.error ?? `unparsed output: ${String(out).slice(0, 200)}`;
      }
      send({
        type: 'done',
        wallMs,
        results: summary.results.length,
        answered,
        firstError,
        blocked: [...new Set(blocked)],
      });
    } catch (err) {
      send({ type: 'failed', error: err instanceof Error ? err.message : String(err), blocked: [...new Set(blocked)] });
    }
  });
}

main().catch((err) => {
  send({ type: 'failed', error: err instanceof Error ? err.message : String(err), blocked: [...new Set(blocked)] });
  process.exitCode = 1;
});
