import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { checkAcrossFields } from './check-across-fields.js';
import { expandMatrix } from './expand-matrix.js';
import { formatIssue } from './format-issue.js';
import { commonOf, DEFAULT_TARGET, loadShape } from './load-shape.js';
import type { ResolvedCombo, ResolvedMatrix, ResolvedScenario } from './resolved-scenario.js';
import { bytes, compiles, expecting, name, positiveInteger, positiveNumber, strict, text } from './schema-fields.js';

export type { ResolvedCombo, ResolvedMatrix, ResolvedScenario, ScenarioGates } from './resolved-scenario.js';
export { DEFAULT_TARGET, GATE_CONFIG_KEYS } from './load-shape.js';
export { formatIssue, formatPath } from './format-issue.js';
export { closest } from './schema-fields.js';

/**
 * The config file (`wsbench.config.ts` or `wsbench.yaml`): one zod schema gives the TypeScript types
 * (`WsbenchConfig` is what the user writes, `ResolvedConfig` is after defaults and units) and the runtime
 * check, which reports every problem at once with its path. Unknown keys are errors, with a suggestion.
 * Its fields are in schema-fields.ts, a scenario's load in load-shape.ts, the checks across fields in
 * check-across-fields.ts.
 */

export const DEFAULT_WS_PATH = '/';
/** A profile name a config need not define: `quick` runs scenarios tagged `quick`, `full` runs all. */
export const BUILTIN_PROFILES: Readonly<Record<string, ResolvedProfile>> = {
  quick: { description: 'scenarios tagged quick: what a pull request runs', scenarios: ['tag:quick'] },
  full: { description: 'every scenario', scenarios: ['*'] },
};

const KNOB_PATTERN = /^[a-z][a-z0-9-]*$/;

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

function comboOf(c: z.output<typeof comboSchema>): ResolvedCombo {
  return {
    ...(c.connections === undefined ? {} : { connections: c.connections }),
    ...(c.rate === undefined ? {} : { ratePerConnection: c.rate }),
    ...(c.size === undefined ? {} : { messageBytes: c.size }),
  };
}

