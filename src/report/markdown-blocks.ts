import { reproduceCommand } from './reproduce-command.js';
import type { ReportInput } from './report-input.js';

/** The pieces every Markdown report is made of (GitHub-flavoured: tables, <details>). */

/** Pipes would split a cell; reasons and specs are user text. */
export const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function details(summary: string, body: string): string {
  // Blank lines around the body let GitHub render Markdown inside the <details> block.
  return `<details><summary>${summary}</summary>\n\n${body.trim()}\n\n</details>`;
}

export function reproduce(report: ReportInput): string {
  return details('Reproduce locally', `\`\`\`sh\n${reproduceCommand(report)}\n\`\`\``);
}

export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, numeric: readonly boolean[] = []): string {
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map((_, i) => (numeric[i] === true ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}
