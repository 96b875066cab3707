// One self-contained HTML file: the style and the page's script inline, allowed by their hashes in a
// Content-Security-Policy that allows nothing else (no network, no other script, no plugin, no form), and the
// data as JSON blocks the page reads with JSON.parse and renders as text nodes only.
//
// Every text in the data comes from data files and models and is untrusted. Inside a JSON block the only
// way out is the HTML parser: `</script>` ends the block, and `<!--` followed by `<script` changes how the
// parser looks for that end. JSON.stringify leaves `<`, `>` and `&` as they are, so each is written as a
// JSON escape (`\u003c`, `\u003e`, `\u0026`); JSON.parse reads them back unchanged. U+2028 and U+2029 are
// escaped too (line terminators in older JavaScript, harmless in JSON, but a copy into a script would break).

import { createHash } from 'node:crypto';
import { REPORT_BLOCKS, type ReportDetail, type ReportHead, type ReportRow } from './report-model';
import { REPORT_STYLE } from './report-style';

const ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** JSON that no text inside can end or bend the script element it is written in. */
export function inertJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => ESCAPES[c]!);
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The page's own script must not hold what would end its element early (it is the tool's, but built by a bundler). */
function checkInline(script: string): void {
  if (/<\/script|<!--/i.test(script))
    throw new Error('the report page script holds "</script" or "<!--": it cannot be inlined as built');
}

export interface ReportDocument {
  head: ReportHead;
  rows: ReportRow[];
  detail: ReportDetail;
  /** The page's script (dist/webview/report.js). */
  script: string;
}

/**
 * The report's HTML. The title is the tool's, not the data's; the page sets the document's title from the
 * data by assignment (text, not markup).
 */
export function reportHtml(doc: ReportDocument): string {
  checkInline(doc.script);
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(doc.script)}`,
    `style-src ${sha256(REPORT_STYLE)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const block = (id: string, value: unknown) =>
    `<script type="application/json" id="${id}">${inertJson(value)}</script>`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<title>SynthesizeMe report</title>',
    `<style>${REPORT_STYLE}</style>`,
    '</head>',
    '<body>',
    '<noscript>This report draws its tables with JavaScript: open it in a browser with scripts on.</noscript>',
    '<div id="app"></div>',
    block(REPORT_BLOCKS.head, doc.head),
    block(REPORT_BLOCKS.rows, { rows: doc.rows }),
    // The script comes before the detail: the summary and the grid paint while the detail is still being read.
    `<script>${doc.script}</script>`,
    block(REPORT_BLOCKS.detail, doc.detail),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
