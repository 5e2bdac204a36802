import { z } from 'zod';
import { DEFAULT_DURATION_MS, DEFAULT_WARMUP_MS } from './run-options.js';
import type { MetricName } from './metric-name.js';
import type { CommonResolved, ScenarioGates } from './resolved-scenario.js';
import { parseHeader, parseMatch, parsePattern, parsePayload, parsePingInterval, parseSubprotocol, parseTemplate } from './traffic-options.js';
import type { TrafficOptions } from './traffic-options.js';
import { duration, expecting, lowerFirst, name, parsedBy, percent, positiveInteger, positiveNumber, strict, text } from './schema-fields.js';

export const DEFAULT_TARGET = 'gobwas';

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
export const loadShape = {
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

export function commonOf(s: z.output<z.ZodObject<typeof loadShape>>): CommonResolved {
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

