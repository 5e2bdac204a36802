/**
 * Line charts as inline SVG: pure `(options) => string`, no scripts, no fonts to fetch, so a report opens
 * offline and reads the same in a CI artifact years later. Axes use "nice" ticks (1, 2, 5 × 10^k).
 */

/** A point; `null` y is a gap (e.g. a second with no echo), which breaks the line. */
export type ChartPoint = readonly [x: number, y: number | null];

export interface ChartSeries {
  name: string;
  points: readonly ChartPoint[];
  /** Defaults to the palette colour at the series' position. */
  color?: string;
  dashed?: boolean;
}

/** A vertical line with a label, e.g. the knee of a ramp. */
export interface ChartMarker {
  x: number;
  label: string;
}

/** A shaded x range with a label, e.g. the warm-up. */
export interface ChartBand {
  fromX: number;
  toX: number;
  label: string;
}

export interface LineChartOptions {
  /** A sentence; also the SVG's accessible name. */
  title: string;
  /** Axis titles, with units: "seconds since start", "latency (ms)". */
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** `log` suits latency, whose tail spans decades. @default 'linear' */
  yScale?: 'linear' | 'log';
  marker?: ChartMarker;
  bands?: readonly ChartBand[];
  formatX?: (value: number) => string;
  formatY?: (value: number) => string;
  /** @default 760 */
  width?: number;
  /** @default 300 */
  height?: number;
}

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies. */
export const CHART_PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'] as const;

const DEFAULT_WIDTH = 760;
const DEFAULT_HEIGHT = 300;
const MARGIN = { top: 56, right: 20, bottom: 44, left: 68 } as const;
/** Rough width of one character at 12px in a sans-serif face, to lay out the legend without measuring. */
const CHAR_WIDTH_PX = 6.6;

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Rounds `value` to 1, 2, 5 or 10 × 10^k (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990). */
function niceNumber(value: number, round: boolean): number {
  const exponent = Math.floor(Math.log10(value));
  const fraction = value / 10 ** exponent;
  const nice = round ? (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) : fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * 10 ** exponent;
}

/** About `count` evenly spaced round ticks covering [min, max]; the first and last enclose the data. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return niceTicks(min - pad, max + pad, count);
  }
  const step = niceNumber(niceNumber(max - min, false) / Math.max(1, count - 1), true);
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  // Multiply, not accumulate, so 0.1 + 0.2 does not drift into the labels.
  for (let i = 0; first + i * step <= max + step * 1e-9 || ticks.length < 2; i++) ticks.push(Number((first + i * step).toPrecision(12)));
  if ((ticks.at(-1) ?? max) < max) ticks.push(Number((first + ticks.length * step).toPrecision(12)));
  return ticks;
}

/** Ticks for a log axis: decades, plus 2 and 5 within them when the range spans at most two decades. */
export function logTicks(min: number, max: number): number[] {
  const low = Math.floor(Math.log10(min));
  const high = Math.max(low + 1, Math.ceil(Math.log10(max)));
  const ticks: number[] = [];
  for (let k = low; k <= high; k++) {
    for (const m of high - low <= 2 ? [1, 2, 5] : [1]) {
      const tick = Number((m * 10 ** k).toPrecision(12));
      if (tick <= 10 ** high) ticks.push(tick);
    }
  }
  return ticks;
}

/** Compact tick labels: 0.5, 12, 1.5k, 2M. */
export function formatTick(value: number): string {
  const abs = Math.abs(value);
  const trim = (text: string): string => text.replace(/\.0+$|(\.\d*?)0+$/, '$1');
  if (abs >= 1e9) return `${trim((value / 1e9).toFixed(1))}G`;
  if (abs >= 1e6) return `${trim((value / 1e6).toFixed(1))}M`;
  if (abs >= 1e3) return `${trim((value / 1e3).toFixed(1))}k`;
  if (abs === 0 || abs >= 1) return trim(value.toFixed(abs >= 10 ? 0 : 1));
  return trim(value.toPrecision(2));
}

interface Scale {
  ticks: number[];
  map: (value: number) => number;
}

function linearScale(ticks: number[], from: number, to: number): Scale {
  const low = ticks[0] ?? 0;
  const high = ticks.at(-1) ?? 1;
  return { ticks, map: (v) => from + ((v - low) / (high - low || 1)) * (to - from) };
}

function logScale(ticks: number[], from: number, to: number): Scale {
  const low = Math.log10(ticks[0] ?? 1);
  const high = Math.log10(ticks.at(-1) ?? 10);
  return { ticks, map: (v) => from + ((Math.log10(v) - low) / (high - low || 1)) * (to - from) };
}

const round1 = (n: number): string => (Math.round(n * 10) / 10).toString();

/** The path of a series: `M` starts each unbroken run, so a gap in the data is a gap in the line. */
function seriesPath(points: readonly ChartPoint[], x: Scale, y: Scale, usable: (v: number) => boolean): string {
  let d = '';
  let pen = false;
  for (const [px, py] of points) {
    if (py === null || !Number.isFinite(py) || !usable(py)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : d === '' ? 'M' : ' M'}${round1(x.map(px))} ${round1(y.map(py))}`;
    pen = true;
  }
  return d;
}

/** Renders one line chart. A chart with no plottable point says so instead of drawing empty axes. */
export function renderLineChart(options: LineChartOptions): string {
  const width = options.width ?? DEFAULT_WIDTH;
  const height = options.height ?? DEFAULT_HEIGHT;
  const log = options.yScale === 'log';
  const usable = log ? (v: number) => v > 0 : () => true;
  const formatX = options.formatX ?? formatTick;
  const formatY = options.formatY ?? formatTick;
  const plot = { left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top, bottom: height - MARGIN.bottom };

  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of options.series) {
    for (const [px, py] of s.points) {
      if (py === null || !Number.isFinite(py) || !usable(py) || !Number.isFinite(px)) continue;
      xs.push(px);
      ys.push(py);
    }
  }
  const title = escapeXml(options.title);
  const open = `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12"><title>${title}</title>`;
  const heading = `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="600" fill="#1f2328">${title}</text>`;
  if (xs.length === 0) {
    return `${open}${heading}<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#656d76">no data to plot</text></svg>`;
  }

  const extraX = [options.marker?.x, ...(options.bands ?? []).flatMap((b) => [b.fromX, b.toX])].filter((v): v is number => v !== undefined);
  const xMin = Math.min(...xs, ...extraX);
  const xMax = Math.max(...xs, ...extraX);
  const xTicks = niceTicks(xMin, xMax, Math.max(3, Math.min(10, Math.round((plot.right - plot.left) / 90))));
  const x = linearScale(xTicks, plot.left, plot.right);
  const y = log ? logScale(logTicks(Math.min(...ys), Math.max(...ys)), plot.bottom, plot.top) : linearScale(niceTicks(Math.min(0, ...ys), Math.max(...ys), 5), plot.bottom, plot.top);

  const parts: string[] = [open, heading];
  for (const band of options.bands ?? []) {
    const from = x.map(band.fromX);
    const to = x.map(band.toX);
    parts.push(`<rect class="band" x="${round1(from)}" y="${plot.top}" width="${round1(Math.max(0, to - from))}" height="${plot.bottom - plot.top}" fill="#d0d7de" fill-opacity="0.45"/>`);
    parts.push(`<text x="${round1(from + 4)}" y="${plot.top + 14}" fill="#57606a" font-size="11">${escapeXml(band.label)}</text>`);
  }
  for (const tick of y.ticks) {
    const py = round1(y.map(tick));
    parts.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${py}" y2="${py}" stroke="#eaeef2"/>`);
    parts.push(`<text x="${plot.left - 6}" y="${py}" dy="0.32em" text-anchor="end" fill="#57606a">${escapeXml(formatY(tick))}</text>`);
  }
  for (const tick of x.ticks) {
    const px = round1(x.map(tick));
    parts.push(`<line x1="${px}" x2="${px}" y1="${plot.bottom}" y2="${plot.bottom + 4}" stroke="#8c959f"/>`);
    parts.push(`<text x="${px}" y="${plot.bottom + 16}" text-anchor="middle" fill="#57606a">${escapeXml(formatX(tick))}</text>`);
  }
  parts.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}" stroke="#8c959f"/>`);
  parts.push(`<line x1="${plot.left}" x2="${plot.left}" y1="${plot.top}" y2="${plot.bottom}" stroke="#8c959f"/>`);
  parts.push(`<text x="${(plot.left + plot.right) / 2}" y="${height - 8}" text-anchor="middle" fill="#1f2328">${escapeXml(options.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#1f2328">${escapeXml(options.yLabel + (log ? ', log scale' : ''))}</text>`);

  let legendX = MARGIN.left;
  options.series.forEach((s, index) => {
    const color = s.color ?? CHART_PALETTE[index % CHART_PALETTE.length];
    const d = seriesPath(s.points, x, y, usable);
    if (d !== '') {
      parts.push(`<path class="series" d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    const plotted = s.points.filter(([, py]) => py !== null && Number.isFinite(py) && usable(py));
    // Dots make sparse series (ramp steps) readable and show a lone point; dashed series are references (SLO, offered).
    if (plotted.length <= 24 && s.dashed !== true) {
      for (const [px, py] of plotted) parts.push(`<circle cx="${round1(x.map(px))}" cy="${round1(y.map(py as number))}" r="3" fill="${color}"/>`);
    }
    parts.push(`<line x1="${legendX}" x2="${legendX + 18}" y1="38" y2="38" stroke="${color}" stroke-width="3"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${legendX + 23}" y="38" dy="0.32em" fill="#1f2328">${escapeXml(s.name)}</text>`);
    legendX += 23 + s.name.length * CHAR_WIDTH_PX + 18;
  });

  if (options.marker !== undefined) {
    const px = round1(x.map(options.marker.x));
    const anchor = x.map(options.marker.x) > (plot.left + plot.right) / 2 ? 'end' : 'start';
    parts.push(`<line class="marker" x1="${px}" x2="${px}" y1="${plot.top}" y2="${plot.bottom}" stroke="#cf222e" stroke-width="1.5" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${px}" dx="${anchor === 'end' ? -4 : 4}" y="${plot.top + 14}" text-anchor="${anchor}" fill="#cf222e" font-weight="600">${escapeXml(options.marker.label)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}
