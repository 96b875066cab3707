// How long a run of calls has left: the one home of the arithmetic (the fit's progress, and any job that
// counts calls against an estimate). Pure: the faces only show the text.
//
// The speed is measured on calls the server answered (cache hits take no time and would make it look fast),
// over the wall time since the run began (calls side by side are counted at the rate they finish together).
// Nothing is said before a few calls and a few seconds: the first calls load the model and fill the caches.

/** Server calls answered before a speed is trusted. */
export const ETA_MIN_CALLS = 3;
/** Milliseconds of a run before a speed is trusted. */
export const ETA_MIN_MS = 3000;

export interface EtaInput {
  /** Calls the server answered so far (not from the cache). */
  answered: number;
  /** Calls still to make (an estimate). */
  remaining: number;
  /** Wall time since the run began. */
  elapsedMs: number;
}

/** Seconds left at the speed measured so far; undefined until the speed is known. */
export function etaSeconds({ answered, remaining, elapsedMs }: EtaInput): number | undefined {
  if (answered < ETA_MIN_CALLS || elapsedMs < ETA_MIN_MS) return undefined;
  return Math.max(0, Math.round((Math.max(0, remaining) * elapsedMs) / answered / 1000));
}

/** "about 40 s left", "about 3 min left", "about 1 h 5 min left"; rounded as a person would say it. */
export function etaText(seconds: number): string {
  if (seconds < 60) return `about ${Math.max(5, Math.ceil(seconds / 5) * 5)} s left`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min left`;
  const rest = minutes % 60;
  return `about ${Math.floor(minutes / 60)} h${rest ? ` ${rest} min` : ''} left`;
}
