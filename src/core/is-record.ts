// The one test for "a JSON object whose fields can be read": parsed records, model answers, messages from
// webviews. Pure (no Node API): the webview bundles reach it through src/extension/protocol.ts.

/** A plain object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
