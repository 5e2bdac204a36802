import { escapeHtml } from './html-page.js';

/**
 * The small Markdown subset wsbench's own text reporters write (paragraphs, `-` lists, pipe tables,
 * `**bold**`, `` `code` ``) as HTML, so the HTML report shows the very table a PR comment shows
 * instead of formatting the same numbers a second time.
 */
export function markdownToHtml(markdown: string): string {
  const blocks: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; ) {
    const line = lines[i] ?? '';
    if (line.trim() === '') {
      i++;
    } else if (line.startsWith('|')) {
      const rows: string[] = [];
      while ((lines[i] ?? '').startsWith('|')) rows.push(lines[i++] ?? '');
      blocks.push(table(rows));
    } else if (line.startsWith('- ')) {
      const items: string[] = [];
      while ((lines[i] ?? '').startsWith('- ')) items.push(`<li>${inline((lines[i++] ?? '').slice(2))}</li>`);
      blocks.push(`<ul>${items.join('')}</ul>`);
    } else {
      const text: string[] = [];
      while (i < lines.length && (lines[i] ?? '').trim() !== '' && !/^(\||- )/.test(lines[i] ?? '')) text.push(lines[i++] ?? '');
      blocks.push(`<p>${inline(text.join(' '))}</p>`);
    }
  }
  return blocks.join('\n');
}

function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\\\|/g, '|');
}

/** Splits a row on pipes that are not escaped as `\|`. */
function cells(row: string): string[] {
  return row.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((cell) => cell.trim());
}

function table(rows: string[]): string {
  const [header, align, ...body] = rows;
  const right = cells(align ?? '').map((spec) => spec.endsWith(':'));
  const cell = (tag: 'th' | 'td', text: string, index: number): string => `<${tag}${right[index] === true ? ' class="num"' : ''}>${inline(text)}</${tag}>`;
  return `<table>\n<thead><tr>${cells(header ?? '').map((text, i) => cell('th', text, i)).join('')}</tr></thead>\n<tbody>\n${body
    .map((row) => `<tr>${cells(row).map((text, i) => cell('td', text, i)).join('')}</tr>`)
    .join('\n')}\n</tbody>\n</table>`;
}
