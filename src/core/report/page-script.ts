// The report page's script: webview/report/main.ts, bundled for the browser by esbuild.mjs as
// dist/webview/report.js. The CLI (dist/cli.js), the extension (dist/extension.js) and the benchmark
// (dist/bench.js) find it beside them; the unit tests, bundled elsewhere, find it in the clone's dist/.
// It is the tool's own code, read from where the tool is installed (no workspace file: no read guard).

import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../user-error';

const PAGE = join('webview', 'report.js');

export async function readReportPage(from: string = __dirname): Promise<string> {
  for (let dir = from; ; dir = dirname(dir)) {
    for (const path of [join(dir, PAGE), join(dir, 'dist', PAGE)]) {
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text !== undefined) return inlineScript(text);
    }
    if (dirname(dir) === dir) break;
  }
  throw new UserError('the report page is not built (dist/webview/report.js): run `npm run build`', 1);
}

/**
 * The bundle as one inline classic script: in a function of its own (its top-level names stay out of the
 * page's globals), without the development build's source-map comment (a file the report does not carry).
 */
function inlineScript(bundle: string): string {
  return `(() => {\n${bundle.replace(/^\/\/# sourceMappingURL=.*$/m, '').trimEnd()}\n})();`;
}
