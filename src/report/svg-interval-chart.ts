import { escapeXml, formatTick, niceTicks } from './svg-chart.js';

/** One metric's change B vs A with its interval, drawn as a dot and a whisker against the gate. */
export interface IntervalChartOptions {
  /** A sentence; also the SVG's accessible name. */
  title: string;
  /** The axis, with its unit: "change B vs A (%)". */
  axisLabel: string;
  /** Null when the metric could not be compared. */
  estimate: number | null;
  low: number | null;
  high: number | null;
  /** Signed: beyond this value (away from zero) the change is a regression. */
  gate: number;
  verdict: 'PASS' | 'FAIL' | 'INCONCLUSIVE';
  /** @default 760 */
  width?: number;
}

const VERDICT_COLOR = { PASS: '#1a7f37', FAIL: '#cf222e', INCONCLUSIVE: '#9a6700' } as const;
const HEIGHT = 104;
const MARGIN = { left: 24, right: 24 } as const;
const AXIS_Y = 78;
const ROW_Y = 50;

const round1 = (n: number): string => (Math.round(n * 10) / 10).toString();

/** Renders the interval chart: the regression side of the gate is tinted, zero and the gate are lines. */
export function renderIntervalChart(options: IntervalChartOptions): string {
  const width = options.width ?? 760;
  const title = escapeXml(options.title);
  const color = VERDICT_COLOR[options.verdict];
  const open = `<svg xmlns="http://www.w3.org/2000/svg" class="chart interval" role="img" viewBox="0 0 ${width} ${HEIGHT}" width="${width}" height="${HEIGHT}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12"><title>${title}</title>`;
  const heading = `<text x="${MARGIN.left}" y="18" font-size="13" font-weight="600" fill="#1f2328">${title}</text>`;
  if (options.estimate === null) {
    return `${open}${heading}<text x="${width / 2}" y="${ROW_Y}" text-anchor="middle" fill="#656d76">not compared: no usable pairs</text></svg>`;
  }
  // A little past the gate, so the regression side always shows.
  const values = [0, options.gate * 1.25, options.estimate, options.low, options.high].filter((v): v is number => v !== null && Number.isFinite(v));
  // Pad so a dot at zero or at the far end is not drawn on the frame.
  const pad = (Math.max(...values) - Math.min(...values)) * 0.04;
  const ticks = niceTicks(Math.min(...values) - (Math.min(...values) < 0 ? pad : 0), Math.max(...values) + (Math.max(...values) > 0 ? pad : 0), 7);
  const lowTick = ticks[0] ?? 0;
  const highTick = ticks.at(-1) ?? 1;
  const map = (v: number): number => MARGIN.left + ((v - lowTick) / (highTick - lowTick || 1)) * (width - MARGIN.left - MARGIN.right);

  const parts = [open, heading];
  const gateX = map(options.gate);
  const [regionFrom, regionTo] = options.gate < 0 ? [map(lowTick), gateX] : [gateX, map(highTick)];
  parts.push(`<rect x="${round1(regionFrom)}" y="28" width="${round1(Math.max(0, regionTo - regionFrom))}" height="${AXIS_Y - 28}" fill="#cf222e" fill-opacity="0.08"/>`);
  parts.push(`<line x1="${round1(gateX)}" x2="${round1(gateX)}" y1="28" y2="${AXIS_Y}" stroke="#cf222e" stroke-dasharray="4 3"/>`);
  // The label sits inside the tinted side, unless that side is too narrow for it.
  const inside = Math.abs(regionTo - regionFrom) > 60;
  const leftOfGate = options.gate < 0 ? inside : !inside;
  parts.push(`<text x="${round1(gateX)}" dx="${leftOfGate ? -4 : 4}" y="38" text-anchor="${leftOfGate ? 'end' : 'start'}" fill="#cf222e" font-size="11">gate ${escapeXml(formatTick(options.gate))}</text>`);
  parts.push(`<line x1="${round1(map(0))}" x2="${round1(map(0))}" y1="28" y2="${AXIS_Y}" stroke="#57606a"/>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${AXIS_Y}" y2="${AXIS_Y}" stroke="#8c959f"/>`);
  for (const tick of ticks) {
    const px = round1(map(tick));
    parts.push(`<line x1="${px}" x2="${px}" y1="${AXIS_Y}" y2="${AXIS_Y + 4}" stroke="#8c959f"/>`);
    parts.push(`<text x="${px}" y="${AXIS_Y + 16}" text-anchor="middle" fill="#57606a">${escapeXml(formatTick(tick))}</text>`);
  }
  parts.push(`<text x="${width - MARGIN.right}" y="18" text-anchor="end" fill="#57606a">${escapeXml(options.axisLabel)}</text>`);
  if (options.low !== null && options.high !== null) {
    const from = round1(map(options.low));
    const to = round1(map(options.high));
    // One path: the whisker and its two end caps.
    parts.push(`<path class="whisker" d="M${from} ${ROW_Y}L${to} ${ROW_Y}M${from} ${ROW_Y - 7}L${from} ${ROW_Y + 7}M${to} ${ROW_Y - 7}L${to} ${ROW_Y + 7}" stroke="${color}" stroke-width="2" fill="none"/>`);
  } else {
    // No interval (error-rate difference): a short tick under the dot keeps one path per chart.
    const px = round1(map(options.estimate));
    parts.push(`<path class="whisker" d="M${px} ${ROW_Y + 8}L${px} ${ROW_Y + 14}" stroke="${color}" stroke-width="2" fill="none"/>`);
  }
  parts.push(`<circle cx="${round1(map(options.estimate))}" cy="${ROW_Y}" r="5.5" fill="${color}"/>`);
  parts.push('</svg>');
  return parts.join('');
}
