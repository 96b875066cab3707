// The native preference pair and the problems found while reading one.
// Every other layer (judge, fit, views) speaks in these types.

export interface Turn {
  role: string;
  content: string;
}

export type Split = 'context' | 'validation' | 'test';
export const SPLITS: readonly Split[] = ['context', 'validation', 'test'];

/** Where a record came from; 1-based lines and columns, 0-based offsets into the file's text. */
export interface SourceRange {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface Pair {
  userId: string;
  pairId: string;
  /** Conversation up to the judged turn. */
  context: Turn[];
  chosen: Turn;
  rejected: Turn;
  /** Explicit split from the file; the assigned split of a workspace lives in the split map. */
  split?: Split;
  /** Presentation order hint: when true, show `rejected` first by default. */
  flip?: boolean;
  demographics?: Record<string, unknown>;
  meta?: unknown;
  source: SourceRange;
}

export type Severity = 'error' | 'warning';

export interface Problem {
  file: string;
  line: number;
  column: number;
  message: string;
  severity: Severity;
}
