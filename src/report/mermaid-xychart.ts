/**
 * Mermaid `xychart-beta` blocks: GitHub renders them in PR comments and job summaries, where an SVG
 * cannot go. One chart per block; xychart has no legend, so titles say which mark is which.
 */
export interface MermaidXyChart {
  title: string;
  xLabel: string;
  /** Category labels along x, one per value. */
  x: ReadonlyArray<string | number>;
  yLabel: string;
  lines?: ReadonlyArray<readonly number[]>;
  bars?: ReadonlyArray<readonly number[]>;
}

/** Mermaid strings are double-quoted and cannot escape a quote. */
const quoted = (text: string): string => `"${text.replace(/"/g, "'")}"`;

/** Enough significant digits to read, few enough to keep the block short. */
const num = (value: number): string => String(Number(value.toPrecision(4)));

export function renderMermaidXyChart(chart: MermaidXyChart): string {
  const all = [...(chart.lines ?? []), ...(chart.bars ?? [])].flat();
  const top = all.length === 0 ? 1 : Math.max(...all);
  const x = chart.x.map((label) => (typeof label === 'number' ? num(label) : quoted(label))).join(', ');
  return [
    '```mermaid',
    'xychart-beta',
    `  title ${quoted(chart.title)}`,
    `  x-axis ${quoted(chart.xLabel)} [${x}]`,
    `  y-axis ${quoted(chart.yLabel)} 0 --> ${num(top * 1.1 || 1)}`,
    ...(chart.bars ?? []).map((values) => `  bar [${values.map(num).join(', ')}]`),
    ...(chart.lines ?? []).map((values) => `  line [${values.map(num).join(', ')}]`),
    '```',
  ].join('\n');
}
