/** A glob over names (`*` any run, `?` one character), or `tag:NAME` over tags. */
export function matchesPattern(pattern: string, name: string, tags: readonly string[]): boolean {
  if (pattern.startsWith('tag:')) return tags.includes(pattern.slice(4));
  const source = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`).test(name);
}
