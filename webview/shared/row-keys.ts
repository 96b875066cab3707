// Keyboard on a list's rows (the comparison grid, Verdicts): Enter or Space opens the focused row's pair,
// as a click does; the arrows, Page Up/Down, Home and End move the focus. Pure (no DOM): unit-tested.

export type RowKeyAction = { type: 'open' } | { type: 'focus'; pos: number };

/**
 * What a key does on the row at `pos` of `count` rows (`page` rows fit in the list); undefined: nothing,
 * and the key keeps its default (Tab, a letter, an arrow at the list's end).
 */
export function rowKeyAction(key: string, pos: number, count: number, page = 10): RowKeyAction | undefined {
  if (count <= 0 || pos < 0 || pos >= count) return undefined;
  if (key === 'Enter' || key === ' ' || key === 'Spacebar') return { type: 'open' };
  const step = Math.max(1, page);
  const to: Record<string, number> = {
    ArrowDown: pos + 1,
    ArrowUp: pos - 1,
    PageDown: pos + step,
    PageUp: pos - step,
    Home: 0,
    End: count - 1,
  };
  if (!(key in to)) return undefined;
  const next = Math.min(count - 1, Math.max(0, to[key]!));
  return next === pos ? undefined : { type: 'focus', pos: next };
}
