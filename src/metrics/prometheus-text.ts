/**
 * A parser for the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). Samples are grouped under their
 * family: `_bucket`, `_sum` and `_count` go to the histogram or summary they belong to. A malformed
 * line is reported with its line number and skipped, so one bad line from a user's server does not
 * lose the rest of the scrape.
 */

export type PrometheusType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PrometheusSample {
  /** The sample's own name: `go_gc_duration_seconds_count`, not the family's. */
  name: string;
  labels: Record<string, string>;
  /** May be `Infinity`, `-Infinity` or `NaN`. */
  value: number;
  timestampMs?: number;
}

export interface PrometheusFamily {
  name: string;
  type: PrometheusType;
  help?: string;
  samples: PrometheusSample[];
}

export interface PrometheusParseError {
  /** 1-based. */
  line: number;
  message: string;
  text: string;
}

export interface PrometheusParseResult {
  families: PrometheusFamily[];
  errors: PrometheusParseError[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES: readonly string[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const SUFFIXES_BY_TYPE: Record<PrometheusType, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
  counter: [],
  gauge: [],
  untyped: [],
};

class LineError extends Error {}

export function parsePrometheusText(text: string): PrometheusParseResult {
  const byName = new Map<string, PrometheusFamily>();
  const typed = new Set<string>();
  const errors: PrometheusParseError[] = [];
  const lines = text.split('\n');

  lines.forEach((rawLine, index) => {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') return;
    try {
      if (line.trimStart().startsWith('#')) parseComment(line, byName, typed);
      else addSample(parseSampleLine(line), byName);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      errors.push({ line: index + 1, message: error.message, text: line });
    }
  });

  return { families: [...byName.values()], errors };
}

function parseComment(line: string, byName: Map<string, PrometheusFamily>, typed: Set<string>): void {
  const match = /^\s*#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
  if (match === null) return; // an ordinary comment
  const [, keyword, name = '', rest = ''] = match;
  if (METRIC_NAME.exec(name)?.[0] !== name) {
    throw new LineError(`invalid metric name \`${name}\` in # ${keyword}`);
  }

  const existing = byName.get(name);
  if (keyword === 'HELP') {
    if (existing?.help !== undefined) throw new LineError(`second # HELP for \`${name}\``);
    const help = unescapeHelp(rest);
    if (existing === undefined) byName.set(name, { name, type: 'untyped', help, samples: [] });
    else existing.help = help;
    return;
  }

  const type = rest.trim();
  if (!TYPES.includes(type)) {
    throw new LineError(`unknown type \`${type}\` for \`${name}\`; expected one of ${TYPES.join(', ')}`);
  }
  if (typed.has(name)) throw new LineError(`second # TYPE for \`${name}\``);
  if (existing !== undefined && existing.samples.length > 0) {
    throw new LineError(`# TYPE for \`${name}\` after its samples`);
  }
  typed.add(name);
  if (existing === undefined) byName.set(name, { name, type: type as PrometheusType, samples: [] });
  else existing.type = type as PrometheusType;
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

function addSample(sample: PrometheusSample, byName: Map<string, PrometheusFamily>): void {
  const family = familyOf(sample.name, byName);
  if (family === undefined) {
    byName.set(sample.name, { name: sample.name, type: 'untyped', samples: [sample] });
    return;
  }
  if (family.type === 'histogram' && sample.name === `${family.name}_bucket` && sample.labels.le === undefined) {
    throw new LineError(`histogram bucket \`${sample.name}\` has no \`le\` label`);
  }
  family.samples.push(sample);
}

function familyOf(sampleName: string, byName: Map<string, PrometheusFamily>): PrometheusFamily | undefined {
  const exact = byName.get(sampleName);
  if (exact !== undefined) return exact;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = byName.get(sampleName.slice(0, -suffix.length));
    if (base !== undefined && SUFFIXES_BY_TYPE[base.type].includes(suffix)) return base;
  }
  return undefined;
}

function parseSampleLine(line: string): PrometheusSample {
  let rest = line.trimStart();
  const name = METRIC_NAME.exec(rest)?.[0];
  if (name === undefined) throw new LineError('expected a metric name');
  rest = rest.slice(name.length).trimStart();

  let labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const parsed = parseLabels(rest);
    labels = parsed.labels;
    rest = rest.slice(parsed.length).trimStart();
  }

  const fields = rest.split(/[ \t]+/).filter((field) => field !== '');
  if (fields.length === 0) throw new LineError(`\`${name}\` has no value`);
  if (fields.length > 2) throw new LineError(`unexpected text after the timestamp of \`${name}\``);
  const sample: PrometheusSample = { name, labels, value: parseValue(fields[0] ?? '') };
  if (fields[1] !== undefined) {
    if (!/^-?\d+$/.test(fields[1])) throw new LineError(`invalid timestamp \`${fields[1]}\``);
    sample.timestampMs = Number(fields[1]);
  }
  return sample;
}

/** Parses `{a="x",b="y",}` at the start of `text`; returns the labels and how many characters it used. */
function parseLabels(text: string): { labels: Record<string, string>; length: number } {
  const labels: Record<string, string> = {};
  let at = 1;
  const skipSpaces = (): void => {
    while (text[at] === ' ' || text[at] === '\t') at += 1;
  };

  for (;;) {
    skipSpaces();
    if (text[at] === '}') return { labels, length: at + 1 };
    const labelName = LABEL_NAME.exec(text.slice(at))?.[0];
    if (labelName === undefined) throw new LineError(`expected a label name at column ${at + 1}`);
    at += labelName.length;
    skipSpaces();
    if (text[at] !== '=') throw new LineError(`expected \`=\` after label \`${labelName}\``);
    at += 1;
    skipSpaces();
    if (text[at] !== '"') throw new LineError(`expected \`"\` to open the value of label \`${labelName}\``);
    at += 1;

    let value = '';
    for (;;) {
      const char = text[at];
      if (char === undefined) throw new LineError(`unterminated value of label \`${labelName}\``);
      at += 1;
      if (char === '"') break;
      if (char !== '\\') {
        value += char;
        continue;
      }
      const escaped = text[at];
      at += 1;
      if (escaped === '\\' || escaped === '"') value += escaped;
      else if (escaped === 'n') value += '\n';
      else throw new LineError(`invalid escape \`\\${escaped ?? ''}\` in label \`${labelName}\``);
    }

    if (Object.hasOwn(labels, labelName)) throw new LineError(`label \`${labelName}\` given twice`);
    labels[labelName] = value;
    skipSpaces();
    if (text[at] === ',') at += 1;
    else if (text[at] !== '}') throw new LineError(`expected \`,\` or \`}\` after label \`${labelName}\``);
  }
}

function parseValue(text: string): number {
  if (/^[+-]?inf(inity)?$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new LineError(`invalid value \`${text}\``);
  return Number(text);
}

export function findFamily(families: readonly PrometheusFamily[], name: string): PrometheusFamily | undefined {
  return families.find((family) => family.name === name);
}

/**
 * The first sample named `name` (the sample's name, e.g. `http_requests_total` or `rpc_seconds_count`)
 * whose labels include every given label.
 */
export function findSample(
  families: readonly PrometheusFamily[],
  name: string,
  labels: Record<string, string> = {},
): PrometheusSample | undefined {
  for (const family of families) {
    for (const sample of family.samples) {
      if (sample.name === name && hasLabels(sample, labels)) return sample;
    }
  }
  return undefined;
}

/** Like `findSample`, for when only the value matters. */
export function findValue(
  families: readonly PrometheusFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return findSample(families, name, labels)?.value;
}

/**
 * The value of a summary's quantile, matched by number so `"1"` and `"1.0"` are the same quantile.
 */
export function findQuantile(family: PrometheusFamily, quantile: number): number | undefined {
  return family.samples.find(
    (sample) => sample.name === family.name && sample.labels.quantile !== undefined
      && parseValueOrNaN(sample.labels.quantile) === quantile,
  )?.value;
}

function parseValueOrNaN(text: string): number {
  try {
    return parseValue(text);
  } catch {
    return NaN;
  }
}

function hasLabels(sample: PrometheusSample, labels: Record<string, string>): boolean {
  return Object.entries(labels).every(([key, value]) => sample.labels[key] === value);
}
