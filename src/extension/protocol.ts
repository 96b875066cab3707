// The one typed protocol between the extension host and its webviews; both sides import this
// file. Plain types and validators only (no `vscode`, no DOM): every message that arrives from
// a webview is checked with the validators below before anything acts on it.
//
// Handshake: a webview posts `ready` once its script runs; the host answers with its data. Data
// from files and models is untrusted text: the webviews render it with textContent only.

import { isRecord as isObject } from '../core/is-record';
// Types only (erased from the bundles): the views' data is the engine's, less what a webview never needs.
import type {
  GridCell,
  GridComparison,
  GridRow,
  GridRunInfo,
  GridSummary,
  NearestUser,
  Transcript,
  VersionEntry,
  VersionRun,
} from '../core/eval';

// ---------- Persona Inspector (webview view) ----------

export interface DemoView {
  pairId: string;
  file?: string;
  line?: number;
  order: string;
  preference: string;
  reasoning: string;
  /** The conversation and the two responses, as text; empty when the pair is gone. */
  conversation: string;
  chosen: string;
  rejected: string;
}

export interface FigureView {
  label: string;
  accuracy: number;
  ci95?: [number, number];
  consistency?: number;
  samples?: number;
  /** Pairs behind the figure: under 10 the headline says "too few to tell" (sample-size.ts accuracyHeadline). */
  pairs?: number;
}

export interface PersonaView {
  userId: string;
  path: string;
  persona: string;
  provenance: [string, string][];
  demos: DemoView[];
  figures: FigureView[];
  history: { name: string; path: string }[];
  /** Prompts the persona was fitted with whose text has changed since (judge, Θ, bootstrap): it is stale. */
  stale?: string[];
  /**
   * Runs of five or more words the persona copies from the user's pairs (core/method/copied-runs.ts), the longest
   * few, each as one sentence naming the pair and the part: a persona that copies a response is flagged.
   */
  copies?: string[];
  /**
   * Estimated tokens: the persona, the judge's system prompt with it and the demonstrations, and the configured
   * context (when a number).
   */
  tokens?: { persona: number; judgePrompt?: number; context?: number };
}

export type InspectorAction = 'fit' | 'revalidate' | 'edit' | 'compare' | 'history';

/**
 * The shown user's nearest users, as `--similar-users` finds them (core/eval/similar-eval.ts nearestUsersOf): ids,
 * similarities and what each vector was made from, never a pair's text. The page asks (`nearest`: it costs embedding
 * calls the first time, the vectors are cached); the answer is part of the state shown, so a page reloaded after
 * being hidden shows it again.
 */
export interface NearestUsersView {
  userId: string;
  /** The embedding model (`synthesizeme.similar.embedModel`); absent when none is set. */
  embedModel?: string;
  /** What the shown user's vector was made from; absent when they have nothing to embed. */
  embedded?: NearestUser['embedded'];
  users: NearestUser[];
  /** Why the list is empty (no model set, the server embeds nothing, no one to compare with). */
  message?: string;
}

export type HostToInspector =
  | { type: 'show'; userId: string | null; persona: PersonaView | null; message?: string; nearest?: NearestUsersView }
  | { type: 'busy'; busy: boolean };

export type InspectorToHost =
  | { type: 'ready' }
  | { type: 'action'; action: InspectorAction; userId: string }
  | { type: 'openPair'; file: string; line: number }
  | { type: 'openPairView'; file: string; line: number }
  | { type: 'nearest'; userId: string };

// ---------- Verdicts (webview panel) ----------

export interface OrderView {
  order: string;
  preference: string | null;
  correct: boolean;
  reasoning: string;
  /** A rubric method's criteria, the scores of the replies shown as A and B, and their weighted sums. */
  rubric?: RubricView;
  /** A rubric answer that decided nothing: a tie, or unreadable scores. */
  noDecision?: 'tie' | 'unreadable';
}

export interface RubricView {
  criteria: { name: string; weight: number }[];
  scores: { A: number[]; B: number[] };
  sums: [number, number];
}

export interface VerdictRow {
  user: string;
  pairId: string;
  file: string;
  line: number;
  orders: OrderView[];
}

export interface RunView {
  name: string;
  method: string;
  split: string;
  model: string;
  accuracy?: number;
  ci95?: [number, number];
  consistency?: number;
  pairs?: number;
  /** False when calls failed: the figures leave those pairs out until the run is resumed. */
  complete?: boolean;
  failedCalls?: number;
  /** Order-samples whose answer named neither A nor B. */
  unparseable?: number;
  /** Another method's run, on the opened run's pairs: its difference from the opened run (points), interval and p. */
  versus?: { points: number; ci95: [number, number]; p: number };
}

export type RunMessage = {
  type: 'run';
  run: RunView;
  /** The opened run first, then other methods' runs over the same pairs (restricted to them), each with its paired difference. */
  methods: RunView[];
  /** Newest runs of other methods that did not judge all of this run's pairs: not drawn as if comparable. */
  notComparable?: number;
  rows: VerdictRow[];
  sentAt: number;
  /** A paired comparison to show above the run (Compare persona versions). */
  comparison?: string;
  /** Shown in the run file's own editor (views/run-editor.ts): with "Open in Grid" and "Open as Text". */
  inEditor?: boolean;
};

/** One point of a line chart: numbers only, so the webview draws it without any markup from data. */
export interface ChartPointView {
  x: number;
  y: number;
  low?: number;
  high?: number;
}

export interface ChartView {
  title: string;
  xLabel: string;
  yLabel: string;
  series: { name: string; points: ChartPointView[] }[];
  /** Where the same chart was written as an SVG file (shown as text). */
  svgFile?: string;
}

/** A chart (Benchmark: Scaling Plot) sent as data and drawn with DOM APIs in the webview. */
export type ChartMessage = { type: 'chart'; chart: ChartView; sentAt: number };

/** What the run file's editor shows instead of a run: why it cannot (not a run file, outside the workspace). */
export type NoticeMessage = { type: 'notice'; title: string; text: string };

export type HostToVerdicts = RunMessage | ChartMessage | NoticeMessage;

export type VerdictsToHost =
  | { type: 'ready' }
  | { type: 'openPair'; file: string; line: number; list?: number[] }
  | { type: 'transcript'; row: number }
  | { type: 'painted'; rows: number; ms: number }
  | { type: 'chartPainted'; points: number }
  // The run file's editor: the comparison grid of this run, and the file as text.
  | { type: 'openGrid' }
  | { type: 'openAsText' };

// ---------- Pair view (webview panel) ----------

export interface TurnView {
  role: string;
  content: string;
}

/** One run's verdict on the pair: both orders, and the persona version it was judged with. */
export interface PairJudgementView {
  runId: string;
  method: string;
  model: string;
  split: string;
  created: string;
  label?: string;
  personaVersion?: string;
  score: number | null;
  orders: OrderView[];
}

/** Where the next and previous pair come from. */
export type PairScope = 'file' | 'list' | 'user';

export interface PairViewData {
  user: string;
  pairId: string;
  file: string;
  line: number;
  split: string;
  context: TurnView[];
  chosen: string;
  rejected: string;
  judgements: PairJudgementView[];
  /** The pair's place in each scope it can be navigated in ('list': the verdict or grid rows it was opened from). */
  positions: { scope: PairScope; index: number; total: number; name: string }[];
  scope: PairScope;
}

export type HostToPair = { type: 'pair'; pair: PairViewData; sentAt: number } | { type: 'notFound'; message: string };

export type PairToHost =
  | { type: 'ready' }
  | { type: 'navigate'; delta: 1 | -1; scope: PairScope }
  | { type: 'openLine' }
  | { type: 'transcript'; runId: string }
  | { type: 'painted'; ms: number };

// ---------- Comparison grid (webview panel) ----------

/** A column's run: the engine's run info without its path and status. */
export type GridRunView = Pick<
  GridRunInfo,
  'id' | 'label' | 'method' | 'model' | 'split' | 'created' | 'stale' | 'personaVersion'
>;

export interface GridCellView extends Pick<GridCell, 'score' | 'flipped'> {
  /** Each order's letter ('A', 'B', '' for no answer) and whether it was right: no reasoning, no failure flag. */
  orders: { order: string; preference: string; correct: boolean }[];
}

export interface GridRowView extends Pick<GridRow, 'user' | 'pairId' | 'flipped' | 'wrongEverywhere' | 'inconsistent'> {
  cells: (GridCellView | null)[];
}

/** A run's figures; against the first run, the difference and its test (the sentences stay in the host). */
export interface GridSummaryView extends Pick<GridSummary, 'accuracy' | 'ci95' | 'pairs'> {
  versusFirst?: Pick<GridComparison, 'difference' | 'ci95' | 'p' | 'pairs' | 'users'>;
}

export type HostToGrid =
  | {
      type: 'grid';
      runs: GridRunView[];
      summary: GridSummaryView[];
      rows: GridRowView[];
      warnings: string[];
      users: string[];
      sentAt: number;
      filter?: GridFilter;
    }
  | { type: 'searchResult'; query: string; rows: number[] }
  /** A cell's hover (grid-cell-text.ts cellHover): its orders' letters and short reasoning, asked when hovered. */
  | { type: 'hover'; row: number; column: number; text: string };

export type GridFilter = 'all' | 'flipped' | 'wrong' | 'inconsistent';

export type GridToHost =
  | { type: 'ready' }
  | { type: 'search'; query: string }
  | { type: 'openPair'; row: number; list: number[] }
  | { type: 'hover'; row: number; column: number }
  | { type: 'transcript'; row: number; column: number }
  | { type: 'export'; format: 'csv' | 'md' }
  | { type: 'painted'; rows: number; columns: number; ms: number };

// ---------- History (webview panel) ----------

/** A run made with a version: the engine's, without its file and test set. */
export type VersionRunView = Pick<VersionRun, 'id' | 'method' | 'split' | 'model' | 'created' | 'accuracy' | 'ci95'>;

/** A version: the engine's entry without its file and hash. */
export interface VersionView extends Pick<VersionEntry, 'id' | 'created' | 'origin' | 'current' | 'validation'> {
  runs: VersionRunView[];
}

export interface HistoryView extends Pick<VersionEntry, 'kind' | 'name'> {
  versions: VersionView[];
  chart: ChartView;
  /** Runs judged on different sets of pairs, and the like (version-history.ts historyWarnings). */
  warnings?: string[];
}

export type HostToHistory = { type: 'history'; history: HistoryView; sentAt: number };

export type HistoryToHost =
  { type: 'ready' } | { type: 'compare'; version: number } | { type: 'openRun'; version: number; run: number };

// ---------- Collect Preferences (webview panel) ----------

export interface CollectShownView {
  index: number;
  context: TurnView[];
  first: string;
  second: string;
  /** Why this pair was asked first (ask next). A retest is never announced. */
  why?: string;
}

export interface CollectCountsView {
  picked: number;
  ties: number;
  skipped: number;
  failed: number;
  /** The person's own consistency so far (retests), when there were some. */
  retest?: { asked: number; agreed: number };
}

export type HostToCollect =
  | { type: 'show'; user: string; file: string; shown: CollectShownView; counts: CollectCountsView }
  | { type: 'busy'; message: string; counts: CollectCountsView }
  | { type: 'note'; message: string }
  /** How far the next pair's generation has come (tokens, tokens a second): a slow model takes minutes. */
  | { type: 'generating'; message: string }
  | { type: 'done'; message: string; counts: CollectCountsView };

export type CollectToHost =
  | { type: 'ready' }
  | { type: 'answer'; index: number; pick: '1' | '2' | 't' | 's'; reason?: string }
  | { type: 'stop' };

// ---------- Transcript (webview panel) ----------

/** A verdict's transcript (the engine's), and where its run is, as text. */
export interface TranscriptView extends Transcript {
  /** The run file, relative to its folder; absent for a verdict of "Judge this pair". */
  runName?: string;
}

export type HostToTranscript =
  { type: 'transcript'; transcript: TranscriptView; sentAt: number } | { type: 'notFound'; message: string };

export type TranscriptToHost =
  { type: 'ready' } | { type: 'openPair' } | { type: 'painted'; orders: number; messages: number; ms: number };

// ---------- The webviews, by kind ----------

/** What each webview sends to the host and receives from it: the host (views/webview-host.ts) is typed by this table. */
export interface WebviewMessages {
  pair: { toHost: PairToHost; toWebview: HostToPair };
  grid: { toHost: GridToHost; toWebview: HostToGrid };
  history: { toHost: HistoryToHost; toWebview: HostToHistory };
  verdicts: { toHost: VerdictsToHost; toWebview: HostToVerdicts };
  collect: { toHost: CollectToHost; toWebview: HostToCollect };
  transcript: { toHost: TranscriptToHost; toWebview: HostToTranscript };
  inspector: { toHost: InspectorToHost; toWebview: HostToInspector };
}

export type WebviewKind = keyof WebviewMessages;
export type ToHost<K extends WebviewKind> = WebviewMessages[K]['toHost'];
export type ToWebview<K extends WebviewKind> = WebviewMessages[K]['toWebview'];

// ---------- validators ----------

const isText = (x: unknown, max = 4096): x is string => typeof x === 'string' && x.length <= max;
const isLine = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x < 1e9;
const ACTIONS: readonly string[] = ['fit', 'revalidate', 'edit', 'compare', 'history'] satisfies InspectorAction[];

export function isInspectorToHost(x: unknown): x is InspectorToHost {
  if (!isObject(x)) return false;
  switch (x['type']) {
    case 'ready':
      return true;
    case 'action':
      return isText(x['action']) && ACTIONS.includes(x['action']) && isText(x['userId'], 1024);
    case 'openPair':
    case 'openPairView':
      return isText(x['file']) && isLine(x['line']);
    case 'nearest':
      return isText(x['userId'], 1024) && x['userId'] !== '';
    default:
      return false;
  }
}

export function isVerdictsToHost(x: unknown): x is VerdictsToHost {
  if (!isObject(x)) return false;
  switch (x['type']) {
    case 'ready':
      return true;
    case 'openPair':
      return isText(x['file']) && isLine(x['line']) && (x['list'] === undefined || isIndexList(x['list']));
    case 'transcript':
      return isIndex(x['row']);
    case 'painted':
      return typeof x['rows'] === 'number' && typeof x['ms'] === 'number' && Number.isFinite(x['ms']);
    case 'chartPainted':
      return typeof x['points'] === 'number' && Number.isInteger(x['points']) && x['points'] >= 0;
    case 'openGrid':
    case 'openAsText':
      return true;
    default:
      return false;
  }
}

export function isHostToInspector(x: unknown): x is HostToInspector {
  if (!isObject(x)) return false;
  if (x['type'] === 'show') return x['nearest'] === undefined || isNearestView(x['nearest']);
  return x['type'] === 'busy';
}

const EMBEDDED: readonly unknown[] = ['persona', 'context pairs'] satisfies NearestUser['embedded'][];

/** Every row a rank, an id, a finite similarity and what was embedded: the page draws nothing else of them. */
function isNearestView(x: unknown): x is NearestUsersView {
  if (!isObject(x) || !isText(x['userId'], 1024) || !Array.isArray(x['users'])) return false;
  if (x['embedded'] !== undefined && !EMBEDDED.includes(x['embedded'])) return false;
  if (x['message'] !== undefined && !isText(x['message'], 8192)) return false;
  return x['users'].every(
    (u) =>
      isObject(u) &&
      isIndex(u['rank']) &&
      isText(u['userId'], 1024) &&
      isNum(u['similarity']) &&
      EMBEDDED.includes(u['embedded']),
  );
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const MAX_SERIES = 16;
const MAX_POINTS = 1000;

function isChartPoint(x: unknown): x is ChartPointView {
  return (
    isObject(x) &&
    isNum(x['x']) &&
    isNum(x['y']) &&
    (x['low'] === undefined || isNum(x['low'])) &&
    (x['high'] === undefined || isNum(x['high']))
  );
}

/** Every coordinate a finite number, every label bounded text: the webview draws nothing else. */
export function isChartView(x: unknown): x is ChartView {
  if (!isObject(x) || !isText(x['title'], 512) || !isText(x['xLabel'], 256) || !isText(x['yLabel'], 256)) return false;
  if (x['svgFile'] !== undefined && !isText(x['svgFile'])) return false;
  const series = x['series'];
  return (
    Array.isArray(series) &&
    series.length <= MAX_SERIES &&
    series.every(
      (s) =>
        isObject(s) &&
        isText(s['name'], 256) &&
        Array.isArray(s['points']) &&
        s['points'].length <= MAX_POINTS &&
        s['points'].every(isChartPoint),
    )
  );
}

export function isHostToVerdicts(x: unknown): x is HostToVerdicts {
  if (!isObject(x)) return false;
  if (x['type'] === 'chart') return isChartView(x['chart']);
  if (x['type'] === 'notice') return isText(x['title'], 512) && isText(x['text']);
  return x['type'] === 'run' && Array.isArray(x['rows']) && isObject(x['run']);
}

const MAX_ROWS = 1_000_000;
const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < MAX_ROWS;
const isIndexList = (x: unknown): x is number[] => Array.isArray(x) && x.length <= MAX_ROWS && x.every(isIndex);
const SCOPES: readonly string[] = ['file', 'list', 'user'] satisfies PairScope[];

export function isPairToHost(x: unknown): x is PairToHost {
  if (!isObject(x)) return false;
  switch (x['type']) {
    case 'ready':
    case 'openLine':
      return true;
    case 'navigate':
      return (x['delta'] === 1 || x['delta'] === -1) && isText(x['scope']) && SCOPES.includes(x['scope']);
    case 'transcript':
      return isText(x['runId'], 256);
    case 'painted':
      return isNum(x['ms']);
    default:
      return false;
  }
}

export function isHostToPair(x: unknown): x is HostToPair {
  if (!isObject(x)) return false;
  if (x['type'] === 'notFound') return isText(x['message']);
  return (
    x['type'] === 'pair' &&
    isObject(x['pair']) &&
    Array.isArray(x['pair']['context']) &&
    Array.isArray(x['pair']['judgements']) &&
    Array.isArray(x['pair']['positions'])
  );
}

export function isGridToHost(x: unknown): x is GridToHost {
  if (!isObject(x)) return false;
  switch (x['type']) {
    case 'ready':
      return true;
    case 'search':
      return isText(x['query'], 1024);
    case 'openPair':
      return isIndex(x['row']) && isIndexList(x['list']);
    case 'hover':
      return isIndex(x['row']) && isIndex(x['column']);
    case 'transcript':
      return isIndex(x['row']) && isIndex(x['column']);
    case 'export':
      return x['format'] === 'csv' || x['format'] === 'md';
    case 'painted':
      return isNum(x['rows']) && isNum(x['columns']) && isNum(x['ms']);
    default:
      return false;
  }
}

export function isHostToGrid(x: unknown): x is HostToGrid {
  if (!isObject(x)) return false;
  if (x['type'] === 'searchResult') return isText(x['query'], 1024) && isIndexList(x['rows']);
  if (x['type'] === 'hover') return isIndex(x['row']) && isIndex(x['column']) && isText(x['text'], 8192);
  return x['type'] === 'grid' && Array.isArray(x['runs']) && Array.isArray(x['rows']) && Array.isArray(x['summary']);
}

export function isHistoryToHost(x: unknown): x is HistoryToHost {
  if (!isObject(x)) return false;
  switch (x['type']) {
    case 'ready':
      return true;
    case 'compare':
      return isIndex(x['version']);
    case 'openRun':
      return isIndex(x['version']) && isIndex(x['run']);
    default:
      return false;
  }
}

export function isHostToHistory(x: unknown): x is HostToHistory {
  return (
    isObject(x) &&
    x['type'] === 'history' &&
    isObject(x['history']) &&
    Array.isArray(x['history']['versions']) &&
    isChartView(x['history']['chart'])
  );
}

export function isCollectToHost(x: unknown): x is CollectToHost {
  if (!isObject(x)) return false;
  switch (x['type']) {
    case 'ready':
    case 'stop':
      return true;
    case 'answer':
      return (
        isIndex(x['index']) &&
        (x['pick'] === '1' || x['pick'] === '2' || x['pick'] === 't' || x['pick'] === 's') &&
        (x['reason'] === undefined || isText(x['reason'], 2000))
      );
    default:
      return false;
  }
}

export function isHostToCollect(x: unknown): x is HostToCollect {
  if (!isObject(x)) return false;
  if (x['type'] === 'show')
    return isObject(x['shown']) && Array.isArray(x['shown']['context']) && isObject(x['counts']);
  const worded = ['busy', 'note', 'generating', 'done'];
  return typeof x['type'] === 'string' && worded.includes(x['type']) && isText(x['message'], 8192);
}

export function isTranscriptToHost(x: unknown): x is TranscriptToHost {
  if (!isObject(x)) return false;
  switch (x['type']) {
    case 'ready':
    case 'openPair':
      return true;
    case 'painted':
      return isNum(x['orders']) && isNum(x['messages']) && isNum(x['ms']);
    default:
      return false;
  }
}

export function isHostToTranscript(x: unknown): x is HostToTranscript {
  if (!isObject(x)) return false;
  if (x['type'] === 'notFound') return isText(x['message']);
  return x['type'] === 'transcript' && isObject(x['transcript']) && Array.isArray(x['transcript']['orders']);
}
