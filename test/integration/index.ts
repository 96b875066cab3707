// Entry point the extension host loads (extensionTestsPath): runs the mocha suites inside the
// real extension host, mirrors the reporter's output into EXT_TEST_LOG_FILE (a remote extension
// host's console goes to the browser) and ends with `integration: N passed, N failed`.

import { appendFileSync, writeFileSync } from 'node:fs';
import { format } from 'node:util';
import Mocha from 'mocha';
import { registerSuites } from './suites';

export function run(): Promise<void> {
  const file = process.env['EXT_TEST_LOG_FILE'];
  const log = (...args: unknown[]) => {
    const line = format(...args);
    if (file) appendFileSync(file, line + '\n');
    console.log(line);
  };
  (Mocha.reporters.Base as unknown as { consoleLog: typeof log }).consoleLog = log;
  // SYNTHESIZEME_INTEGRATION_GREP runs only the matching tests (while working on one suite; CI runs all).
  const grep = process.env['SYNTHESIZEME_INTEGRATION_GREP'];
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', ...(grep ? { grep } : {}) });
  // The suites are bundled into this file: install the bdd globals, then let them register.
  mocha.suite.emit('pre-require', globalThis, 'bundled', mocha);
  registerSuites();
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const s = runner.stats ?? { passes: 0, failures };
      // Run as part of another layer (real-model), the counts go to that layer's file and its own closing line.
      const countsFile = process.env['EXT_TEST_COUNTS_FILE'];
      if (countsFile) {
        writeFileSync(countsFile, JSON.stringify({ passed: s.passes, failed: s.failures }));
        log(`[vscode part] ${s.passes} ok, ${s.failures} not ok`);
      } else log(`integration: ${s.passes} passed, ${s.failures} failed`);
      if (failures) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
  });
}
