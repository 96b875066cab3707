// Building DOM from data without HTML: every string becomes a text node (textContent), so a
// pair holding `<img src=x onerror=...>` or `<script>` shows as those characters.

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: { class?: string; title?: string; attrs?: Record<string, string> },
  ...children: Child[]
): HTMLElementTagNameMap[K];
export function el(
  tag: string,
  props?: { class?: string; title?: string; attrs?: Record<string, string> },
  ...children: Child[]
): HTMLElement;
export function el(
  tag: string,
  props: { class?: string; title?: string; attrs?: Record<string, string> } = {},
  ...children: Child[]
): HTMLElement {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.title) node.title = props.title;
  for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, v);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

export function clear(node: Element): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** The one percent formatter (src/core/percent.ts), under the name the views use. */
export { percent as pct } from '../../src/core/percent';
