import { z } from 'zod';
import { ConfigError, describeValue } from '../errors.js';
import { BUILTIN_TARGETS } from '../targets/builtin-targets.js';
import { parseTargetSpec } from '../targets/target-spec.js';
import { DEFAULT_DURATION_MS, DEFAULT_WARMUP_MS, MIN_MESSAGE_BYTES } from './run-options.js';
import { parseBytes, parseDurationMs } from '../units.js';
import { expandMatrix } from './expand-matrix.js';
import { matchesPattern } from './match-pattern.js';
import type { CommonResolved, ResolvedCombo, ResolvedMatrix, ResolvedScenario, ScenarioGates } from './resolved-scenario.js';
import type { MetricName } from './metric-name.js';

export type { ResolvedCombo, ResolvedMatrix, ResolvedScenario, ScenarioGates } from './resolved-scenario.js';
import { parseHeader, parseMatch, parsePattern, parsePayload, parsePingInterval, parseSubprotocol, parseTemplate } from './traffic-options.js';
import type { TrafficOptions } from './traffic-options.js';

/**
 * The config file (`wsbench.config.ts` or `wsbench.yaml`): one zod schema gives the TypeScript types
 * (`WsbenchConfig` is what the user writes, `ResolvedConfig` is after defaults and units) and the runtime
 * check, which reports every problem at once with its path. Unknown keys are errors, with a suggestion.
 */

export const DEFAULT_TARGET = 'gobwas';
export const DEFAULT_WS_PATH = '/';
/** A profile name a config need not define: `quick` runs scenarios tagged `quick`, `full` runs all. */
export const BUILTIN_PROFILES: Readonly<Record<string, ResolvedProfile>> = {
  quick: { description: 'scenarios tagged quick: what a pull request runs', scenarios: ['tag:quick'] },
  full: { description: 'every scenario', scenarios: ['*'] },
};

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const KNOB_PATTERN = /^[a-z][a-z0-9-]*$/;

/** Messages read `expected WHAT, got VALUE`; a missing key reads `is required: expected WHAT`. */
function expecting(what: string) {
  return {
    error: (issue: { input?: unknown }) =>
      issue.input === undefined ? `is required: expected ${what}` : `expected ${what}, got ${describeValue(issue.input)}`,
  };
}

/** An object that rejects unknown keys, naming the closest known key. */
function strict<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownKeyMessage(key, known)).join('; ');
      return issue.input === undefined ? 'is required: expected an object' : `expected an object, got ${describeValue(issue.input)}`;
    },
  });
}

const text = (what = 'a string') => z.string(expecting(what));
const name = (what: string) => text(what).regex(NAME_PATTERN, expecting(`${what} of letters, digits, '.', '_' or '-'`));
const positiveInteger = () => z.number(expecting('a positive integer')).int(expecting('a positive integer')).positive(expecting('a positive integer'));
const positiveNumber = () => z.number(expecting('a positive number')).positive(expecting('a positive number'));
const percent = () => z.number(expecting('a non-negative percentage, e.g. 5')).nonnegative(expecting('a non-negative percentage, e.g. 5'));

const SIZE_EXPECTED = `a size in bytes of at least ${MIN_MESSAGE_BYTES}, optionally with a unit (B, KB, KiB, MB, MiB), e.g. 256 or "4KiB"`;
/** Bytes as a number or with a unit, like `--size`; the output is a whole number of bytes. */
const bytes = () =>
  z.union([z.number(), z.string()], expecting(SIZE_EXPECTED)).transform((value, ctx) => {
    const parsed = tryParse(() => parseBytes(value, 'size'));
    if (parsed === undefined || parsed < MIN_MESSAGE_BYTES) {
      ctx.addIssue({ code: 'custom', message: `expected ${SIZE_EXPECTED}, got ${describeValue(value)}`, input: value });
      return z.NEVER;
    }
    return parsed;
  });

/** A value checked by the same parser as its flag, so the config and the CLI reject it in the same words. */
const parsedBy = <T>(what: string, parse: (value: string) => T) =>
  text(what).transform((value, ctx) => {
    try {
      return parse(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: lowerFirst((error as Error).message), input: value });
      return z.NEVER;
    }
  });

/**
 * A duration with a unit (`10s`, `500ms`, `2m`), like `--duration`. A bare number is refused (0 aside):
 * `duration: 10` meant 10 s to whoever wrote it and 10 ms to the old parser.
 */
const duration = ({ allowZero }: { allowZero: boolean }) => {
  const what = `a duration${allowZero ? '' : ' above zero'} with a unit (ms, s or m), e.g. "10s" or "500ms"`;
  return z.union([z.number(), z.string()], expecting(what)).transform((value, ctx) => {
    if (typeof value === 'number' && !(allowZero && value === 0)) {
      ctx.addIssue({ code: 'custom', message: `a bare number has no unit: write "${value}s" for seconds or "${value}ms" for milliseconds; got ${describeValue(value)}`, input: value });
      return z.NEVER;
    }
    const parsed = tryParse(() => parseDurationMs(value, 'duration'));
    if (parsed === undefined || (!allowZero && parsed === 0)) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${describeValue(value)}`, input: value });
      return z.NEVER;
    }
    return parsed;
  });
};

const gatesSchema = strict({
  /** Largest tolerated throughput drop, percent. */
  throughputPercent: percent().optional(),
  /** Largest tolerated p50 latency rise, percent. */
  p50Percent: percent().optional(),
  /** Largest tolerated p99 latency rise, percent. */
  p99Percent: percent().optional(),
  /** Largest tolerated error-rate rise, percentage points. */
  errorsPercent: percent().optional(),
  /** Largest tolerated rise of the server's CPU time per echoed message, percent. @default 5 */
  cpuPerMessagePercent: percent().optional(),
  /** Largest tolerated rise of the bytes the server allocates per message (Go targets), percent. @default 5 */
  allocBytesPerMessagePercent: percent().optional(),
  /** Largest tolerated rise of the allocations per message (Go targets), percent. @default 5 */
  allocsPerMessagePercent: percent().optional(),
  /** Largest tolerated rise of the server's memory per open connection, percent. @default 10 */
  memoryPerConnectionPercent: percent().optional(),
  /** Largest tolerated rise of GC cycles per 10,000 messages (Go targets), percent. @default 25 */
  gcPer10kMessagesPercent: percent().optional(),
});

/** Each `gates:` key and the metric it sets (the names in compare/metric-catalog.ts). */
export const GATE_CONFIG_KEYS: Readonly<Record<keyof z.output<typeof gatesSchema>, MetricName>> = {
  throughputPercent: 'throughput',
  p50Percent: 'p50',
  p99Percent: 'p99',
  errorsPercent: 'errors',
  cpuPerMessagePercent: 'cpuPerMessage',
  allocBytesPerMessagePercent: 'allocBytesPerMessage',
  allocsPerMessagePercent: 'allocsPerMessage',
  memoryPerConnectionPercent: 'memoryPerConnection',
  gcPer10kMessagesPercent: 'gcPer10kMessages',
};

/** What a scenario and a matrix share besides connections, rate and size. */
const loadShape = {
  description: text().optional(),
  /** A target SPEC, `NAME[@GITREF][:KEY=VALUE,...]`. @default "gobwas" */
  target: text('a target SPEC, e.g. "gobwas:model=epoll"').default(DEFAULT_TARGET),
  /** Measured time. @default "10s" */
  duration: duration({ allowZero: false }).default(DEFAULT_DURATION_MS),
  /** Load before measuring, not counted. @default "2s" */
  warmup: duration({ allowZero: true }).default(DEFAULT_WARMUP_MS),
  /** A message not echoed within this is counted as timed out. */
  timeout: duration({ allowZero: false }).optional(),
  /** Driver processes; planned from the machine's limits when absent. */
  workers: positiveInteger().optional(),
  /** Highest tolerated error rate (failed connections and timed-out messages), e.g. 0.001. */
  errorBudget: z.number(expecting('an error rate between 0 and 1, e.g. 0.001')).min(0, expecting('an error rate between 0 and 1, e.g. 0.001')).max(1, expecting('an error rate between 0 and 1, e.g. 0.001')).optional(),
  /** Regression gates for `compare` and baselines; unset ones take the compare defaults. */
  gates: gatesSchema.optional(),
  tags: z.array(name('a tag'), expecting('a list of tags')).default([]),
  /** Extra handshake headers, each `Name: value` (like `--header`). */
  headers: z.array(parsedBy("a header 'Name: value'", (value) => parseHeader(value, 'header')), expecting("a list of 'Name: value' headers")).optional(),
  /** Subprotocol offered on the handshake (like `--subprotocol`). */
  subprotocol: parsedBy('a subprotocol token', (value) => parseSubprotocol(value, 'subprotocol')).optional(),
  /** PEM file of the CA of a `wss://` server (like `--ca`). */
  ca: text('a path to a PEM file').optional(),
  /** Accept any certificate of a `wss://` server (like `--insecure`). @default false */
  insecure: z.boolean(expecting('true or false')).optional(),
  /** Offer permessage-deflate (like `--compression`). @default false */
  compression: z.boolean(expecting('true or false')).optional(),
  /** Echo payload, `binary` or `text` (like `--payload`). @default "binary" */
  payload: parsedBy('binary or text', (value) => parsePayload(value, 'payload')).optional(),
  /** A text message template with {{seq}} {{conn}} {{ts}} {{pad}} (like `--message`); needs `match`. */
  message: parsedBy('a message template', (value) => parseTemplate(value, 'message')).optional(),
  /** `json:PATH` or `regex:RE`: how a reply names its request (like `--match`). */
  match: parsedBy('json:PATH or regex:RE', (value) => parseMatch(value, 'match')).optional(),
  /** `echo`, `broadcast` or `churn` (like `--pattern`). @default "echo" */
  pattern: parsedBy('echo, broadcast or churn', (value) => parsePattern(value, 'pattern')).optional(),
  /** Broadcast publishers (like `--publishers`). @default 1 */
  publishers: positiveInteger().optional(),
  /** Broadcast: a text message each subscriber sends after opening (like `--subscribe`). */
  subscribe: parsedBy('a subscribe message', (value) => parseTemplate(value, 'subscribe', ['conn'])).optional(),
  /** Every connection pings this often (like `--ping-interval`). */
  pingInterval: z.union([z.number(), z.string()], expecting('a duration of at least 10ms, e.g. "1s"')).transform((value, ctx) => {
    try {
      return parsePingInterval(value, 'pingInterval');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: lowerFirst((error as Error).message), input: value });
      return z.NEVER;
    }
  }).optional(),
  /** Churn: reconnects per second (like `--churn-rate`). */
  churnRate: positiveNumber().optional(),
  /** Churn: when every connection reconnects at once (like `--storm`), e.g. "5s". */
  storm: duration({ allowZero: true }).optional(),
};

const scenarioSchema = strict({
  name: name('a scenario name'),
  ...loadShape,
  connections: positiveInteger(),
  /** Messages per second per connection. */
  rate: positiveNumber(),
  size: bytes(),
}).transform((s): ResolvedScenario => ({ ...commonOf(s), name: s.name, connections: s.connections, ratePerConnection: s.rate, messageBytes: s.size }));

const comboSchema = strict({ connections: positiveInteger().optional(), rate: positiveNumber().optional(), size: bytes().optional() });

const matrixSchema = strict({
  /** Prefix of the generated names: `PREFIX-1000c-10r-128b`. */
  name: name('a matrix name'),
  ...loadShape,
  connections: z.array(positiveInteger(), expecting('a list of connection counts')).min(1, expecting('a non-empty list')),
  rate: z.array(positiveNumber(), expecting('a list of rates (messages per second per connection)')).min(1, expecting('a non-empty list')),
  size: z.array(bytes(), expecting('a list of sizes')).min(1, expecting('a non-empty list')),
  /** Keep only the combinations matching one of these; a complete combination the product lacks is added. */
  include: z.array(comboSchema, expecting('a list of partial combinations')).optional(),
  /** Drop the combinations matching one of these. */
  exclude: z.array(comboSchema, expecting('a list of partial combinations')).optional(),
}).transform((m): ResolvedMatrix => ({
  ...commonOf(m),
  name: m.name,
  connections: m.connections,
  ratePerConnection: m.rate,
  messageBytes: m.size,
  include: (m.include ?? []).map(comboOf),
  exclude: (m.exclude ?? []).map(comboOf),
}));

const knobSchema = strict({
  /** The server's flag, e.g. `--model`. */
  flag: text('a flag, e.g. "--model"'),
  description: text().optional(),
  /** The values the knob takes; omit and give `type` for sizes, counts or free text. */
  values: z.array(text(), expecting('a list of values')).min(1, expecting('a non-empty list')).optional(),
  type: z.enum(['bytes', 'count', 'string'], expecting('"bytes", "count" or "string"')).optional(),
}).refine((k) => (k.values === undefined) !== (k.type === undefined), {
  message: 'give either `values` (the knob takes one of them) or `type` (bytes, count or string), not both or neither',
});

const targetSchema = strict({
  description: text().optional(),
  /** Run once per process before the first start, e.g. `go build -o bin/server .`. */
  build: strict({
    command: z.union([text(), z.array(text()).min(1)], expecting('a command line or a non-empty list of arguments')),
    cwd: text().optional(),
  }).optional(),
  start: strict({
    command: text('a command'),
    /** May hold `{port}`, `{host}` and `{metricsAddr}`, filled in per run. */
    args: z.array(text(), expecting('a list of arguments')).default([]),
    cwd: text().optional(),
    env: z.record(z.string(), text(), expecting('a map of environment variables')).optional(),
  }),
  /** @default "/" */
  wsPath: text('a path, e.g. "/ws"').startsWith('/', expecting('a path starting with "/"')).default(DEFAULT_WS_PATH),
  /** A regular expression (source) matching the line the server prints once it is ready. */
  readyLine: text('a regular expression').refine(compiles, expecting('a valid regular expression')).optional(),
  /** Whether `{metricsAddr}` in `start.args` makes the server serve Prometheus `/metrics`. @default false */
  metrics: z.boolean(expecting('true or false')).default(false),
  knobs: z.record(text().regex(KNOB_PATTERN, expecting('a knob name of lowercase letters, digits and -')), knobSchema).default({}),
});

const profileSchema = strict({
  description: text().optional(),
  /** Globs over scenario names (`*`, `?`), or `tag:NAME`. */
  scenarios: z.array(text(), expecting('a list of scenario globs or tag:NAME')).min(1, expecting('a non-empty list')),
  /** A/B pairs per scenario in `compare` (stage 1). */
  pairs: positiveInteger().min(2, expecting('an integer of at least 2')).optional(),
  /** Multiplies each selected scenario's duration (not its warm-up). */
  durationScale: positiveNumber().optional(),
  /** Multiplies each selected scenario's connections, rounded; recorded in the plan so reports can say so. */
  connectionsScale: positiveNumber().optional(),
});

export const configSchema = strict({
  /** For editors of JSON configs; ignored. */
  $schema: text().optional(),
  /** User targets; the built-ins `gobwas` and `node` always exist, and a target of the same name replaces one. */
  targets: z.record(name('a target name'), targetSchema).default({}),
  scenarios: z.array(scenarioSchema, expecting('a list of scenarios')).default([]),
  /** Cartesian products of connections × rate × size. */
  matrix: z.array(matrixSchema, expecting('a list of matrices')).default([]),
  /** Named selections; `quick` and `full` exist unless defined here. */
  profiles: z.record(name('a profile name'), profileSchema).default({}),
})
  .superRefine(checkAcrossFields, { when: () => true })
  .transform(
    (c): ResolvedConfig => ({
      targets: c.targets,
      scenarios: [...c.scenarios, ...c.matrix.flatMap(expandMatrix)],
      matrix: c.matrix,
      profiles: { ...BUILTIN_PROFILES, ...c.profiles },
    }),
  );

/** The config as the user writes it (`defineConfig`, YAML). */
export type WsbenchConfig = z.input<typeof configSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type KnobConfig = z.output<typeof knobSchema>;
export type ResolvedProfile = z.output<typeof profileSchema>;

/** After defaults and units: the matrix expanded into `scenarios`, the built-in profiles merged in. */
export interface ResolvedConfig {
  targets: Record<string, TargetConfig>;
  scenarios: ResolvedScenario[];
  matrix: ResolvedMatrix[];
  profiles: Record<string, ResolvedProfile>;
}

/** Checks a config (from YAML or a `wsbench.config.ts`) and resolves it; `source` names the file in errors. */
export function parseConfig(input: unknown, source: string): ResolvedConfig {
  const result = configSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError('CONFIG_INVALID', `${source} is not valid:`, result.error.issues.map(formatIssue));
}

export function formatIssue(issue: z.core.$ZodIssue): string {
  return `${formatPath(issue.path) || '(top level)'}: ${issue.message}`;
}

/** `scenarios[2].rate`, `targets["my server"].start`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => {
      if (typeof key === 'number') return `[${key}]`;
      const text = String(key);
      if (/^[A-Za-z_$][\w$-]*$/.test(text)) return index === 0 ? text : `.${text}`;
      return `[${JSON.stringify(text)}]`;
    })
    .join('');
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closest(key, known);
  return suggestion === undefined
    ? `unknown key ${JSON.stringify(key)} (known keys: ${known.join(', ')})`
    : `unknown key ${JSON.stringify(key)}: did you mean ${JSON.stringify(suggestion)}?`;
}

/** The known word within edit distance ⌈length/3⌉ (at most 3) of `word`, if one is. */
export function closest(word: string, known: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.ceil(word.length / 3));
  let best: { word: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { word: candidate, distance };
  }
  return best?.word;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function commonOf(s: z.output<z.ZodObject<typeof loadShape>>): CommonResolved {
  const gates: ScenarioGates = {};
  for (const [key, metric] of Object.entries(GATE_CONFIG_KEYS) as Array<[keyof typeof GATE_CONFIG_KEYS, MetricName]>) {
    const value = s.gates?.[key];
    if (value !== undefined) gates[metric] = value;
  }
  return {
    ...(s.description === undefined ? {} : { description: s.description }),
    target: s.target,
    durationMs: s.duration,
    warmupMs: s.warmup,
    ...(s.timeout === undefined ? {} : { messageTimeoutMs: s.timeout }),
    ...(s.workers === undefined ? {} : { workers: s.workers }),
    ...(s.errorBudget === undefined ? {} : { errorBudget: s.errorBudget }),
    gates,
    tags: s.tags,
    ...trafficOf(s),
  };
}

function trafficOf(s: z.output<z.ZodObject<typeof loadShape>>): { traffic?: TrafficOptions } {
  const traffic: TrafficOptions = {
    ...(s.headers === undefined ? {} : { headers: s.headers }),
    ...(s.subprotocol === undefined ? {} : { subprotocol: s.subprotocol }),
    ...(s.ca === undefined ? {} : { caFile: s.ca }),
    ...(s.insecure === undefined ? {} : { insecure: s.insecure }),
    ...(s.compression === undefined ? {} : { compression: s.compression }),
    ...(s.payload === undefined ? {} : { payload: s.payload }),
    ...(s.message === undefined ? {} : { messageTemplate: s.message }),
    ...(s.match === undefined ? {} : { match: s.match }),
    ...(s.pattern === undefined ? {} : { pattern: s.pattern }),
    ...(s.publishers === undefined ? {} : { publishers: s.publishers }),
    ...(s.subscribe === undefined ? {} : { subscribeTemplate: s.subscribe }),
    ...(s.pingInterval === undefined ? {} : { pingIntervalMs: s.pingInterval }),
    ...(s.churnRate === undefined ? {} : { churnRatePerSec: s.churnRate }),
    ...(s.storm === undefined ? {} : { stormAtMs: s.storm }),
  };
  return Object.keys(traffic).length === 0 ? {} : { traffic };
}

function comboOf(c: z.output<typeof comboSchema>): ResolvedCombo {
  return {
    ...(c.connections === undefined ? {} : { connections: c.connections }),
    ...(c.rate === undefined ? {} : { ratePerConnection: c.rate }),
    ...(c.size === undefined ? {} : { messageBytes: c.size }),
  };
}

const lowerFirst = (message: string): string => message.charAt(0).toLowerCase() + message.slice(1);

function tryParse(parse: () => number): number | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

function compiles(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

type Ctx = z.core.$RefinementCtx<unknown>;
type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);
const entriesOf = (value: unknown): Array<[number, Loose]> =>
  Array.isArray(value) ? value.flatMap((item, index) => (isObject(item) ? [[index, item] as [number, Loose]] : [])) : [];

/**
 * Checks that need more than one field: target SPECs name known targets and knobs, names are unique
 * (matrix names included), profile globs match something. Runs even when fields failed, on what parsed.
 */
function checkAcrossFields(config: unknown, ctx: Ctx): void {
  if (!isObject(config)) return;
  const configTargets = isObject(config.targets) ? config.targets : {};
  for (const key of ['scenarios', 'matrix'] as const) {
    for (const [index, entry] of entriesOf(config[key])) {
      if (typeof entry.target === 'string') checkTarget(entry.target, configTargets, [key, index, 'target'], ctx);
    }
  }
  const names = new Map<string, string>();
  const tags = new Set<string>();
  const claim = (scenarioName: string, path: PropertyKey[], origin: string): void => {
    const first = names.get(scenarioName);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path, message: `${origin} ${JSON.stringify(scenarioName)} is already the name of ${first}; names must be unique` });
    else names.set(scenarioName, formatPath(path));
  };
  for (const [index, entry] of entriesOf(config.scenarios)) {
    if (typeof entry.name === 'string') claim(entry.name, ['scenarios', index, 'name'], 'scenario name');
    if (Array.isArray(entry.tags)) for (const tag of entry.tags) tags.add(String(tag));
  }
  for (const [index, entry] of entriesOf(config.matrix)) {
    if (Array.isArray(entry.tags)) for (const tag of entry.tags) tags.add(String(tag));
    // An entry that failed its own checks is left untransformed; its names can wait for the fix.
    if (!('ratePerConnection' in entry)) continue;
    const expanded = expandMatrix(entry as unknown as ResolvedMatrix);
    for (const scenario of expanded) claim(scenario.name, ['matrix', index, 'name'], 'matrix scenario');
  }
  if (!isObject(config.profiles)) return;
  for (const [profile, definition] of Object.entries(config.profiles)) {
    if (!isObject(definition) || !Array.isArray(definition.scenarios)) continue;
    definition.scenarios.forEach((pattern: unknown, index) => {
      if (typeof pattern !== 'string') return;
      const matches = [...names.keys()].some((n) => matchesPattern(pattern, n, [])) || (pattern.startsWith('tag:') && tags.has(pattern.slice(4)));
      if (!matches) {
        const known = pattern.startsWith('tag:') ? `tags: ${[...tags].join(', ') || '(none)'}` : `scenarios: ${[...names.keys()].join(', ') || '(none)'}`;
        ctx.addIssue({ code: 'custom', path: ['profiles', profile, 'scenarios', index], message: `${JSON.stringify(pattern)} matches no scenario; ${known}` });
      }
    });
  }
}

function checkTarget(specText: string, configTargets: Loose, path: PropertyKey[], ctx: Ctx): void {
  let spec;
  try {
    spec = parseTargetSpec(specText, 'target');
  } catch (error) {
    ctx.addIssue({ code: 'custom', path, message: lowerFirst((error as Error).message) });
    return;
  }
  const configTarget = configTargets[spec.name];
  const builtin = BUILTIN_TARGETS[spec.name];
  if (configTarget === undefined && builtin === undefined) {
    const known = [...new Set([...Object.keys(BUILTIN_TARGETS), ...Object.keys(configTargets)])];
    const suggestion = closest(spec.name, known);
    ctx.addIssue({ code: 'custom', path, message: `unknown target ${JSON.stringify(spec.name)}${suggestion === undefined ? '' : ` (did you mean ${JSON.stringify(suggestion)}?)`}; known targets: ${known.join(', ')} (define it under targets:, or use one of those)` });
    return;
  }
  for (const [knob, value] of Object.entries(spec.knobs)) {
    const problem = isObject(configTarget) ? checkConfigKnob(configTarget, knob, value) : checkBuiltinKnob(spec.name, knob, value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path, message: lowerFirst(problem) });
  }
}

function checkBuiltinKnob(targetName: string, knob: string, value: string): string | undefined {
  const definition = BUILTIN_TARGETS[targetName]!;
  const knobDefinition = definition.knobs[knob];
  if (knobDefinition === undefined) return `target ${targetName} has no knob ${JSON.stringify(knob)}; its knobs are: ${Object.keys(definition.knobs).join(', ')}`;
  try {
    knobDefinition.parse(value, knob);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function checkConfigKnob(target: Loose, knob: string, value: string): string | undefined {
  const knobs = isObject(target.knobs) ? target.knobs : {};
  const definition = knobs[knob];
  if (!isObject(definition)) return `this target has no knob ${JSON.stringify(knob)}; its knobs are: ${Object.keys(knobs).join(', ') || '(none)'}`;
  if (Array.isArray(definition.values) && !definition.values.includes(value)) return `knob ${knob} takes ${definition.values.join(' | ')}; got ${JSON.stringify(value)}`;
  if (definition.type === 'bytes' && tryParse(() => parseBytes(value, knob)) === undefined) return `knob ${knob} takes a size in bytes; got ${JSON.stringify(value)}`;
  if (definition.type === 'count' && !/^\d+$/.test(value)) return `knob ${knob} takes a whole number; got ${JSON.stringify(value)}`;
  return undefined;
}
