// The one typed protocol between the extension host and its webviews; both sides import this
// file. Plain types and validators only (no `vscode`, no DOM): every message that arrives from
// a webview is checked with the validators below before anything acts on it.
//
// Handshake: a webview posts `ready` once its script runs; the host answers with its data. Data
// from files and models is untrusted text: the webviews render it with textContent only.

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
}

export type InspectorAction = 'fit' | 'revalidate' | 'edit' | 'compare';

export type HostToInspector =
  | { type: 'show'; userId: string | null; persona: PersonaView | null; message?: string }
  | { type: 'busy'; busy: boolean };

export type InspectorToHost =
  | { type: 'ready' }
  | { type: 'action'; action: InspectorAction; userId: string }
  | { type: 'openPair'; file: string; line: number };

// ---------- Verdicts (webview panel) ----------

export interface OrderView {
  order: string;
  preference: string | null;
  correct: boolean;
  reasoning: string;
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

export type HostToVerdicts = RunMessage | ChartMessage;

export type VerdictsToHost = { type: 'ready' } | { type: 'openPair'; file: string; line: number } | { type: 'painted'; rows: number; ms: number } | { type: 'chartPainted'; points: number };

// ---------- validators ----------

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isText = (x: unknown, max = 4096): x is string => typeof x === 'string' && x.length <= max;
const isLine = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x < 1e9;
const ACTIONS: readonly string[] = ['fit', 'revalidate', 'edit', 'compare'] satisfies InspectorAction[];

export function isInspectorToHost(x: unknown): x is InspectorToHost {
  if (!isObject(x)) return false;
  switch (x['type']) {
    case 'ready':
      return true;
    case 'action':
      return isText(x['action']) && ACTIONS.includes(x['action']) && isText(x['userId'], 1024);
    case 'openPair':
      return isText(x['file']) && isLine(x['line']);
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
      return isText(x['file']) && isLine(x['line']);
    case 'painted':
      return typeof x['rows'] === 'number' && typeof x['ms'] === 'number' && Number.isFinite(x['ms']);
    case 'chartPainted':
      return typeof x['points'] === 'number' && Number.isInteger(x['points']) && x['points'] >= 0;
    default:
      return false;
  }
}

export function isHostToInspector(x: unknown): x is HostToInspector {
  return isObject(x) && (x['type'] === 'show' || x['type'] === 'busy');
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const MAX_SERIES = 16;
const MAX_POINTS = 1000;

function isChartPoint(x: unknown): x is ChartPointView {
  return isObject(x) && isNum(x['x']) && isNum(x['y']) && (x['low'] === undefined || isNum(x['low'])) && (x['high'] === undefined || isNum(x['high']));
}

/** Every coordinate a finite number, every label bounded text: the webview draws nothing else. */
export function isChartView(x: unknown): x is ChartView {
  if (!isObject(x) || !isText(x['title'], 512) || !isText(x['xLabel'], 256) || !isText(x['yLabel'], 256)) return false;
  if (x['svgFile'] !== undefined && !isText(x['svgFile'])) return false;
  const series = x['series'];
  return (
    Array.isArray(series) &&
    series.length <= MAX_SERIES &&
    series.every((s) => isObject(s) && isText(s['name'], 256) && Array.isArray(s['points']) && s['points'].length <= MAX_POINTS && s['points'].every(isChartPoint))
  );
}

export function isHostToVerdicts(x: unknown): x is HostToVerdicts {
  if (!isObject(x)) return false;
  if (x['type'] === 'chart') return isChartView(x['chart']);
  return x['type'] === 'run' && Array.isArray(x['rows']) && isObject(x['run']);
}
