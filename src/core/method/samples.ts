// Test-time sampling (`--samples k`): each order is judged k times at a temperature above 0, and the k answers
// become one verdict. Letter verdicts take the majority; an order with no majority (as many A as B, or no letter
// at all) names neither reply, which counts as wrong, as a tie does. A sample whose call failed makes the whole
// order a failed call: no answer, never scored, judged again on a re-run, where the samples that did answer come
// back from the response cache (each sample has its own cache key: ChatRequest.sample).

/** The temperature sampled runs use when the run's own is 0: k draws at temperature 0 would be one draw k times. */
export const SAMPLING_TEMPERATURE = 0.7;

/** The most samples an order may take: a typo (`--samples 300`) would multiply the calls of a run by hundreds. */
export const MAX_SAMPLES = 32;

/** The error of an order whose samples had no majority: an answer was given, so it is wrong, not failed. */
export const NO_MAJORITY = 'no majority among the samples';

/** The temperature a run with `samples` per order judges at. */
export function samplingTemperature(temperature: number, samples: number): number {
  return samples > 1 && temperature === 0 ? SAMPLING_TEMPERATURE : temperature;
}

/**
 * The seed of an order's i-th sample. A server given the same seed and prompt samples the same answer even at a
 * temperature above 0 (Ollama, vLLM and llama.cpp all do), so each sample asks with its own seed.
 */
export function sampleSeed(seed: number | undefined, sample: number | undefined): number | undefined {
  return seed === undefined || !sample ? seed : seed + sample;
}

/** One sample of an order: what it answered and the cache key of its call (its transcript). */
export interface OrderSample {
  preference: 'A' | 'B' | null;
  call?: string;
  /** A rubric sample's weighted sums of A and B (absent when its answer was unreadable, or not a rubric). */
  sums?: [number, number];
  /** The sample's call failed (only in an order that failed, which no run file keeps): counted as a failed call. */
  failed?: true;
}

/** The majority letter of the samples, or null when no letter has more samples than the other. */
export function majorityOf(samples: readonly OrderSample[]): 'A' | 'B' | null {
  const a = samples.filter((s) => s.preference === 'A').length;
  const b = samples.filter((s) => s.preference === 'B').length;
  return a > b ? 'A' : b > a ? 'B' : null;
}

/**
 * How far the samples of one order agree: the share of them that gave the most frequent answer (an unparseable
 * answer is an answer of its own). 1 when every sample said the same; 1/k at worst.
 */
export function sampleAgreement(samples: readonly OrderSample[]): number {
  if (!samples.length) return Number.NaN;
  const counts = new Map<string, number>();
  for (const s of samples) counts.set(String(s.preference), (counts.get(String(s.preference)) ?? 0) + 1);
  return Math.max(...counts.values()) / samples.length;
}

/** The mean agreement over the orders that were sampled; undefined when none was. */
export function meanSampleAgreement(orders: readonly { samples?: readonly OrderSample[] }[]): number | undefined {
  const sampled = orders.filter((o) => o.samples && o.samples.length > 1);
  if (!sampled.length) return undefined;
  return sampled.reduce((n, o) => n + sampleAgreement(o.samples!), 0) / sampled.length;
}
