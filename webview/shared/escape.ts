// Text from data files and models is untrusted: it is only ever set as text, and where a
// string must be embedded in markup it goes through this.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
