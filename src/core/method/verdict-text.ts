// A pair's verdict in both orders as lines of text: what `synthesizeme judge` prints and what the judge-pair
// language-model tool hands to the chat model.

import type { PairVerdict } from './judge';

/** One block per order: right or wrong, which letter the judge gave (and which answer it was), its reasoning. */
export function pairVerdictText(v: PairVerdict): string {
  return v.orders
    .map((o) => {
      const shown = o.order === 'AB' ? 'A = chosen, B = rejected' : 'A = rejected, B = chosen';
      return (
        `${o.correct ? '✓' : '✗'} order ${o.order} (${shown}): ${o.preference ?? 'no answer'}` +
        `${o.error ? ` (${o.error})` : ''}\n  ${o.reasoning.trim().split('\n').join('\n  ')}\n`
      );
    })
    .join('');
}
