// One CSV cell, as every CSV the tool writes spells it. Text in these files comes from data sets and model
// answers (untrusted), and a person opens them in a spreadsheet, which runs a cell that starts with =, +, -
// or @ as a formula (`=HYPERLINK(...)`, `@SUM(...)`, DDE), and also one that starts with a tab or a carriage
// return before such a sign. OWASP's advice (CSV Injection): put a single quote before the text and quote
// the cell, so the spreadsheet shows the text instead of running it. Numbers and flags are written as they
// are: a negative difference is a number, not a formula. Quoting otherwise follows RFC 4180.

const FORMULA_START = /^[=+\-@\t\r]/;

/** Text as a spreadsheet shows it without running it: a leading quote when it could start a formula. */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * A CSV field: empty for null/undefined, 1/0 for a flag, a number as it is, text neutralized (unless `raw`:
 * for a file that only analysis tools read) and quoted when it holds a quote, a comma, CR or LF, or was neutralized.
 */
export function csvField(value: string | number | boolean | null | undefined, opts: { raw?: boolean } = {}): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return String(value);
  const s = opts.raw ? value : neutralizeFormula(value);
  return s !== value || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
