// node:test reporter: one line per failure with its error, and the closing line
// `unit: N passed, N failed, N skipped` that CI reads.
import { writeFileSync } from 'node:fs';
export default async function* reporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    const data = event.data ?? {};
    const isSuite = data.details?.type === 'suite';
    if (event.type === 'test:pass' && !isSuite) {
      if (data.skip || data.todo) {
        skipped++;
        yield `  - ${data.name} (skipped${typeof data.skip === 'string' ? `: ${data.skip}` : ''})\n`;
      } else {
        passed++;
        yield `  ok ${data.name}\n`;
      }
    } else if (event.type === 'test:fail' && !isSuite) {
      failed++;
      const err = data.details?.error;
      const cause = err?.cause ?? err;
      yield `  FAIL ${data.name} (${data.file ?? ''})\n    ${String(cause?.stack ?? cause?.message ?? cause)
        .split('\n')
        .join('\n    ')}\n`;
    } else if (
      event.type === 'test:diagnostic' &&
      /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(data.message)
    ) {
      // the default summary lines; ours replaces them
    } else if (event.type === 'test:stderr' || event.type === 'test:stdout') {
      yield data.message;
    }
  }
  // Run as part of a layer with several parts (real-model), the counts go to a file and the layer prints
  // the one closing line; otherwise this is the unit layer's closing line.
  const countsFile = process.env.TEST_COUNTS_FILE;
  if (countsFile) {
    writeFileSync(countsFile, JSON.stringify({ passed, failed, skipped }));
    yield `[engine part] ${passed} ok, ${failed} not ok, ${skipped} skipped\n`;
  } else yield `unit: ${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
