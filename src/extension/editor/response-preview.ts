// A pair's text in a hover, on one paragraph: a response that opens with a code block used to show only its
// fence and first code line ("```python x = 1"); the preview reads past the block, to the prose after it.

/** The text flattened to one line: code fences become a marker, whitespace collapses, cut at `max` characters. */
export function responsePreview(text: string, max = 400): string {
  const flat = text
    .split('\n')
    .map((line) => (/^\s*(```|~~~)/.test(line) ? ' ⟨code⟩ ' : line))
    .join(' ')
    .replace(/(\s*⟨code⟩\s*)+/g, ' ⟨code⟩ ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
