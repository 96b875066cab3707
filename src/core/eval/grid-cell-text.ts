// What a grid cell says: the letter each order chose, and on hover each order's short reasoning. Pure
// (no Node API), so the grid's webview and the host that answers its hover use the same words.

export interface CellOrderText {
  /** AB or BA. */
  order: string;
  /** The letter the model named ('A' or 'B'); null or '' for no answer. */
  preference: string | null;
  correct: boolean;
  reasoning?: string;
  failed?: boolean;
  /** A rubric method's weighted sums, A's then B's. */
  rubric?: { sums: readonly [number, number] };
  /** A rubric answer that decided nothing. */
  noDecision?: 'tie' | 'unreadable';
}

/** How long a reasoning is on hover: a sentence or two, the rest is in the pair view and the transcript. */
export const SHORT_REASONING = 160;

/** `AB:A`: the order (chosen shown first in AB) and the letter it chose, `?` for no answer. */
export function orderLetter(o: CellOrderText): string {
  return `${o.order}:${o.preference || '?'}`;
}

/** A reasoning on one line, cut at a word near `max` characters with an ellipsis. */
export function shortReasoning(text: string, max = SHORT_REASONING): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,.;:]+$/, '')}…`;
}

/** A rubric order's weighted sums: ` (sums A 7.40, B 5.10)`; nothing for a letter verdict. */
export function sumsText(o: Pick<CellOrderText, 'rubric'>): string {
  return o.rubric ? ` (sums A ${o.rubric.sums[0].toFixed(2)}, B ${o.rubric.sums[1].toFixed(2)})` : '';
}

/**
 * A cell's hover: one line per order, what it chose and whether that was the user's choice, then its short
 * reasoning. `order (A,B): chose A, right: the short one answers it`.
 */
export function cellHover(orders: readonly CellOrderText[]): string {
  return orders
    .map((o) => {
      const what = o.failed
        ? 'the call failed'
        : o.preference
          ? `chose ${o.preference}, ${o.correct ? 'right' : 'wrong'}${sumsText(o)}`
          : o.noDecision === 'tie'
            ? `a tie, wrong${sumsText(o)}`
            : o.noDecision === 'unreadable'
              ? 'unreadable scores, wrong'
              : 'no answer';
      const why = o.reasoning ? shortReasoning(o.reasoning) : '';
      return `order (${o.order[0]},${o.order[1]}): ${what}${why ? `: ${why}` : ''}`;
    })
    .join('\n');
}
