// What a static report holds, as the page (webview/report) reads it: types only, no Node import, so the
// engine that writes the data and the page that renders it share one definition.
//
// The data goes into the HTML as three JSON blocks, in the order the page needs them: the head (runs,
// figures, comparisons, provenance: what the first paint shows), the rows (the grid, compact), then the
// detail (reasoning, pair texts, personas), which the page parses only once a pair, a search or the users
// are asked for. A 10,000 x 6 report paints its summary and grid before the detail is read.

/** The ids of the JSON blocks in the HTML (script elements of type application/json). */
export const REPORT_BLOCKS = { head: 'sm-head', rows: 'sm-rows', detail: 'sm-detail' } as const;

export const REPORT_FORMAT = 1;

export interface ReportInput {
  /** A prompt's name or `persona:<user>`, as the run header's inputs name it. */
  name: string;
  hash: string;
}

export interface ReportRun {
  id: string;
  label?: string;
  method: string;
  provider: string;
  model: string;
  /** The server's digest of the model when it named one (Ollama). */
  modelDigest?: string;
  split: string;
  /** When the run started (its header) and when it finished (its summary; absent while unfinished). */
  created: string;
  completed?: string;
  seed: number;
  temperature: number;
  /** complete; incomplete (calls failed); unfinished (no summary). */
  status: string;
  /** The persona version the run judged with (the grid's GridRunInfo.personaVersion). */
  personaVersion?: string;
  stale?: boolean;
  /** The run file's name (no folder: a report is shared, and the reader's folders are not the author's). */
  file: string;
  testSet?: string;
  pairs: number;
  users: number;
  accuracy: number | null;
  ci95: [number, number] | null;
  /** The hashes of the prompts that shaped the run. */
  prompts: ReportInput[];
  /** The hashes of the personas it judged with, one per user. */
  personas: ReportInput[];
  failedCalls?: number;
}

export interface ReportUserOutcome {
  user: string;
  pairs: number;
  accuracyA: number;
  accuracyB: number;
  difference: number;
}

/** A later run against the first, over their common pairs: the grid's comparison, with Holm's p when several. */
export interface ReportComparison {
  /** The later run's index in `runs`. */
  run: number;
  difference: number;
  ci95: [number, number];
  p: number;
  /** Holm-adjusted over every comparison of the report; present when there are two or more. */
  pHolm?: number;
  pairs: number;
  users: number;
  resampling?: string;
  /** The comparison in one sentence (statistics.ts describeDifference), as `compare` prints it. */
  sentence: string;
  /** The same, judged with Holm's p (present with pHolm): the sentence to read when several runs are compared. */
  holmSentence?: string;
  power?: string;
  outcomes: { improved: number; hurt: number; unchanged: number };
  perUser: ReportUserOutcome[];
}

export interface ReportHead {
  format: typeof REPORT_FORMAT;
  /** When the report was written (ISO). */
  generated: string;
  /** The tool and its version that wrote it. */
  tool: string;
  /** The workspace folder's name, when the runs belong to one. */
  workspace?: string;
  runs: ReportRun[];
  comparisons: ReportComparison[];
  warnings: string[];
  /** The users of the rows, sorted; rows name them by index. */
  users: string[];
  pairs: number;
}

/** One order of a pair in one run: [order, letter ('' for none), correct 0/1, failed 0/1]. */
export type ReportOrder = [order: string, preference: string, correct: 0 | 1, failed: 0 | 1];
/** A pair in one run: [score or null, flipped against the first run 0/1, its orders]; 0 when the run did not judge it. */
export type ReportCell = [score: number | null, flipped: 0 | 1, orders: ReportOrder[]] | 0;
/** A grid row: [index into head.users, pair id, flags (ROW_FLAGS), a cell per run]. */
export type ReportRow = [user: number, pairId: string, flags: number, cells: ReportCell[]];

export const ROW_FLAGS = { flipped: 1, wrongEverywhere: 2, inconsistent: 4 } as const;

export interface ReportRows {
  rows: ReportRow[];
}

export interface ReportTurn {
  role: string;
  content: string;
}

export interface ReportPair {
  file: string;
  line: number;
  context: ReportTurn[];
  chosen: string;
  rejected: string;
}

export interface ReportDemo {
  pairId: string;
  order: string;
  preference: string;
  reasoning: string;
  /** The demonstration's pair, when the workspace has it. */
  pair?: ReportPair;
}

export interface ReportPersonaVersion {
  hash: string;
  /** 'current', a history file's name, the file the run recorded, or 'not found'. */
  name: string;
  current: boolean;
  created?: string;
  origin?: string;
  /** The runs (indexes into head.runs) that judged with this version. */
  runs: number[];
  persona?: string;
  demos: ReportDemo[];
  validation?: number;
}

export interface ReportUserPersonas {
  user: string;
  versions: ReportPersonaVersion[];
}

export interface ReportDetail {
  /** Per row, per run: each order's reasoning (0 where the run did not judge the pair). */
  reasoning: (string[] | 0)[][];
  /** Per row: the pair's text, 0 when the workspace does not have it. */
  pairs: (ReportPair | 0)[];
  personas: ReportUserPersonas[];
}
