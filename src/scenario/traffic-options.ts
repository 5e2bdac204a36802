import { existsSync, readFileSync } from 'node:fs';
import { UsageError, describeValue } from '../errors.js';
import { parseDurationMs } from '../units.js';
import type { HandshakeOptions } from '../driver/handshake-options.js';
import { TEMPLATE_PLACEHOLDERS } from '../driver/message-spec.js';
import type { PayloadKind, ReplyMatch, TrafficPattern } from '../driver/message-spec.js';
import { MIN_TEXT_PAYLOAD_BYTES } from '../driver/message-codec.js';
import { MIN_BROADCAST_BYTES } from '../driver/broadcast-frame.js';

/**
 * What a scenario says about the traffic besides its size and rate: the handshake (headers, subprotocol,
 * TLS, compression), and how the server is talked to. The same parsers serve the flags and the config
 * file, so `--header 'X: 1'` and `headers: ['X: 1']` fail with the same words.
 */
export interface TrafficOptions {
  /** `Name: value` pairs, in order. */
  headers?: Array<[string, string]>;
  subprotocol?: string;
  /** A PEM file with the CA that signed a `wss://` server's certificate. */
  caFile?: string;
  insecure?: boolean;
  compression?: boolean;
  /** Echo payload: `binary` (the default) or printable `text`. */
  payload?: PayloadKind;
  /** A text message with `{{seq}}` `{{conn}}` `{{ts}}` `{{pad}}`, answered by a reply `match` pairs. */
  messageTemplate?: string;
  match?: ReplyMatch;
  pattern?: TrafficPattern;
  /** Broadcast: how many connections publish (the rest subscribe). @default 1 */
  publishers?: number;
  /** Broadcast: a text message each subscriber sends once after opening. */
  subscribeTemplate?: string;
  pingIntervalMs?: number;
  /** Churn: connections closed and reopened per second, across the run. */
  churnRatePerSec?: number;
  /** Churn: every connection drops and reconnects at once, this long after the load starts. */
  stormAtMs?: number;
  /** A `--url` server's process: its CPU, RSS and threads are sampled from /proc like a managed target's. */
  serverPid?: number;
  /** A `--url` server's Prometheus endpoint (goroutines, GC, allocations), with `serverPid`. */
  serverMetricsUrl?: string;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers `ws` writes itself: setting them by hand breaks the handshake. */
const RESERVED_HEADERS = new Set(['host', 'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol']);

/** `Name: value` → `[name, value]`; the value may be empty, the name must be an HTTP token. */
export function parseHeader(value: string, option: string): [string, string] {
  const colon = value.indexOf(':');
  const name = colon < 0 ? '' : value.slice(0, colon).trim();
  if (colon < 0 || !HEADER_NAME.test(name)) {
    throw new UsageError('INVALID_HEADER', `Expected ${option} to be 'Name: value', e.g. 'Authorization: Bearer abc'; got ${describeValue(value)}`);
  }
  if (RESERVED_HEADERS.has(name.toLowerCase())) {
    const fix = name.toLowerCase() === 'sec-websocket-protocol' ? 'use --subprotocol' : name.toLowerCase() === 'sec-websocket-extensions' ? 'use --compression' : 'leave it out';
    throw new UsageError('RESERVED_HEADER', `${option} ${JSON.stringify(name)} is written by the WebSocket handshake itself; ${fix}`);
  }
  return [name, value.slice(colon + 1).trim()];
}

const SUBPROTOCOL = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseSubprotocol(value: string, option: string): string {
  if (!SUBPROTOCOL.test(value)) throw new UsageError('INVALID_SUBPROTOCOL', `Expected ${option} to be a subprotocol token, e.g. graphql-ws or v1.chat; got ${describeValue(value)}`);
  return value;
}

/**
 * The handshake the workers use, with the CA file read now: a missing or unreadable file is a usage
 * error before any load, not a thousand failed handshakes.
 */
export function resolveHandshake(options: TrafficOptions, url: string | undefined): HandshakeOptions {
  if (options.caFile !== undefined && options.insecure === true) {
    throw new UsageError('CONFLICTING_FLAGS', 'Give either --ca FILE (trust this CA) or --insecure (trust any certificate), not both');
  }
  const tls = options.caFile !== undefined || options.insecure === true;
  if (tls && url === undefined) {
    throw new UsageError('TLS_WITHOUT_WSS', '--ca and --insecure apply to a wss:// server given with --url; the built-in targets speak plain ws://');
  }
  if (tls && url !== undefined && !url.startsWith('wss://')) {
    throw new UsageError('TLS_WITHOUT_WSS', `--ca and --insecure apply to wss:// URLs; --url is ${JSON.stringify(url)}: use wss://${url.replace(/^ws:\/\//, '')} or drop the TLS flag`);
  }
  let caPem: string | undefined;
  if (options.caFile !== undefined) {
    try {
      caPem = readFileSync(options.caFile, 'utf8');
    } catch (error) {
      throw new UsageError('CA_UNREADABLE', `--ca ${JSON.stringify(options.caFile)} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); give the PEM file of the CA that signed the server's certificate`, { cause: error });
    }
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new UsageError('CA_NOT_PEM', `--ca ${JSON.stringify(options.caFile)} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line); convert it with: openssl x509 -in FILE -out ca.pem -outform PEM`);
    }
  }
  return {
    headers: options.headers ?? [],
    ...(options.subprotocol === undefined ? {} : { subprotocol: options.subprotocol }),
    ...(caPem === undefined ? {} : { caPem }),
    insecure: options.insecure === true,
    compression: options.compression === true,
  };
}

export function parsePayload(value: string, option: string): PayloadKind {
  if (value !== 'binary' && value !== 'text') throw new UsageError('INVALID_PAYLOAD', `Expected ${option} to be binary or text; got ${describeValue(value)}`);
  return value;
}

export function parsePattern(value: string, option: string): TrafficPattern {
  if (value !== 'echo' && value !== 'broadcast' && value !== 'churn') throw new UsageError('INVALID_PATTERN', `Expected ${option} to be echo, broadcast or churn; got ${describeValue(value)}`);
  return value;
}

/** `json:PATH` (dotted, e.g. `json:meta.id`) or `regex:RE` with one capture group holding the sequence number. */
export function parseMatch(value: string, option: string): ReplyMatch {
  if (value.startsWith('json:')) {
    const path = value.slice(5).split('.');
    if (path.some((key) => key === '')) throw new UsageError('INVALID_MATCH', `Expected ${option} json:PATH to name a field, e.g. json:id or json:meta.id; got ${describeValue(value)}`);
    return { kind: 'json', path };
  }
  if (value.startsWith('regex:')) {
    const source = value.slice(6);
    let groups: number;
    try {
      groups = new RegExp(`${source}|`).exec('')!.length - 1;
    } catch (error) {
      throw new UsageError('INVALID_MATCH', `${option} ${describeValue(value)} is not a valid regular expression: ${(error as Error).message}`, { cause: error });
    }
    if (groups < 1) throw new UsageError('INVALID_MATCH', `${option} regex:RE needs a capture group around the sequence number, e.g. 'regex:"id":(\\d+)'; got ${describeValue(value)}`);
    return { kind: 'regex', source };
  }
  throw new UsageError('INVALID_MATCH', `Expected ${option} to be json:PATH or regex:RE, e.g. json:id; got ${describeValue(value)}`);
}

/** A template whose placeholders are all known. */
export function parseTemplate(value: string, option: string, allowed: readonly string[] = TEMPLATE_PLACEHOLDERS): string {
  const unknown = [...value.matchAll(/\{\{(.*?)\}\}/g)].map((match) => match[1]!).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    throw new UsageError('INVALID_TEMPLATE', `${option} has unknown placeholder${unknown.length === 1 ? '' : 's'} ${unknown.map((name) => `{{${name}}}`).join(', ')}; known: ${allowed.map((name) => `{{${name}}}`).join(' ')}`);
  }
  return value;
}

/**
 * Checks the traffic options against each other and the scenario, before any load: every combination
 * that cannot measure what it says is refused with the fix.
 */
export function checkTraffic(options: TrafficOptions, scenario: { connections: number; messageBytes: number; durationMs?: number }): void {
  const pattern = options.pattern ?? 'echo';
  if (options.messageTemplate !== undefined && options.match === undefined) {
    throw new UsageError('MESSAGE_WITHOUT_MATCH', '--message needs --match json:PATH or --match regex:RE to pair each reply with its request (e.g. --match json:id when the reply carries the {{seq}} of the request as "id")');
  }
  if (options.match !== undefined && options.messageTemplate === undefined) {
    throw new UsageError('MATCH_WITHOUT_MESSAGE', '--match pairs replies with requests built by --message TEMPLATE; give --message too (an echo needs no --match)');
  }
  if (options.messageTemplate !== undefined && !options.messageTemplate.includes('{{seq}}')) {
    throw new UsageError('TEMPLATE_WITHOUT_SEQ', '--message must contain {{seq}}: the reply names the request by it, and --match reads it back');
  }
  if (options.messageTemplate !== undefined && options.payload === 'binary') {
    throw new UsageError('CONFLICTING_FLAGS', '--message sends text messages; drop --payload binary');
  }
  if (options.payload === 'text' && options.messageTemplate === undefined && scenario.messageBytes < MIN_TEXT_PAYLOAD_BYTES) {
    throw new UsageError('INVALID_SIZE', `Expected --size to be at least ${MIN_TEXT_PAYLOAD_BYTES} bytes with --payload text ("wsbench " and a 10-digit sequence number); got ${scenario.messageBytes}`);
  }
  if (pattern !== 'churn' && (options.churnRatePerSec !== undefined || options.stormAtMs !== undefined)) {
    throw new UsageError('CHURN_WITHOUT_PATTERN', `${options.churnRatePerSec !== undefined ? '--churn-rate' : '--storm'} applies to --pattern churn; add --pattern churn`);
  }
  if (pattern === 'churn' && options.churnRatePerSec === undefined && options.stormAtMs === undefined) {
    throw new UsageError('CHURN_WITHOUT_RATE', '--pattern churn needs --churn-rate N (reconnects per second) and/or --storm AT (all reconnect at once, e.g. --storm 5s)');
  }
  if (options.stormAtMs !== undefined && scenario.durationMs !== undefined && options.stormAtMs >= scenario.durationMs) {
    throw new UsageError('STORM_AFTER_END', `--storm ${options.stormAtMs} ms is not before the end of --duration (${scenario.durationMs} ms); pick a time inside the load`);
  }
  if (pattern !== 'broadcast') {
    if (options.publishers !== undefined) throw new UsageError('PUBLISHERS_WITHOUT_BROADCAST', '--publishers applies to --pattern broadcast');
    if (options.subscribeTemplate !== undefined) throw new UsageError('SUBSCRIBE_WITHOUT_BROADCAST', '--subscribe applies to --pattern broadcast');
    return;
  }
  const publishers = options.publishers ?? 1;
  if (publishers >= scenario.connections) {
    throw new UsageError('TOO_MANY_PUBLISHERS', `--publishers ${publishers} leaves no subscriber among ${scenario.connections} connections; use fewer publishers or more --connections`);
  }
  if (options.messageTemplate !== undefined || options.payload === 'text') {
    throw new UsageError('BROADCAST_BINARY_ONLY', '--pattern broadcast publishes binary frames that carry their intended send time; drop --message / --payload text (use --subscribe for a text subscription message)');
  }
  if (scenario.messageBytes < MIN_BROADCAST_BYTES) {
    throw new UsageError('INVALID_SIZE', `Expected --size to be at least ${MIN_BROADCAST_BYTES} bytes with --pattern broadcast (sequence, marker, send time, publisher); got ${scenario.messageBytes}`);
  }
}

/** At least 10 ms: the heartbeat's timer ticks every 20 ms and a ping per millisecond per connection measures the driver. */
export function parsePingInterval(value: string | number, option: string): number {
  const ms = parseDurationMs(value, option);
  if (ms < 10) throw new UsageError('INVALID_PING_INTERVAL', `Expected ${option} to be at least 10ms, e.g. 1s; got ${describeValue(value)}`);
  return ms;
}

/** Reconnects per second: a positive number, at most one per connection per 10 ms. */
export function parseChurnRate(value: string | number, option: string): number {
  const rate = typeof value === 'number' ? value : /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(rate) || rate <= 0) throw new UsageError('INVALID_CHURN_RATE', `Expected ${option} to be reconnects per second, a positive number, e.g. 200; got ${describeValue(value)}`);
  return rate;
}

/** The process (and metrics endpoint) of a `--url` server the user named, checked to exist before any load. */
export function watchedServerOf(options: TrafficOptions | undefined): { pid: number; metricsUrl?: string; metricsCoverTree: boolean } | undefined {
  if (options?.serverPid === undefined) {
    if (options?.serverMetricsUrl !== undefined) {
      throw new UsageError('METRICS_WITHOUT_PID', '--server-metrics needs --server-pid PID too: CPU, memory and the cost per message come from /proc of that process (find it with `pgrep -f SERVER` or `ss -ltnp`)');
    }
    return undefined;
  }
  if (!existsSync(`/proc/${options.serverPid}/stat`)) {
    throw new UsageError('SERVER_PID_NOT_FOUND', `--server-pid ${options.serverPid}: no such process on this host; give the PID of the server behind --url (e.g. \`pgrep -f my-server\`)`);
  }
  return { pid: options.serverPid, ...(options.serverMetricsUrl === undefined ? {} : { metricsUrl: options.serverMetricsUrl }), metricsCoverTree: true };
}

export function parseMetricsUrl(value: string, option: string): string {
  if (!/^https?:\/\/[^/]+/.test(value)) throw new UsageError('INVALID_METRICS_URL', `Expected ${option} to be the server's Prometheus endpoint, e.g. http://127.0.0.1:9100/metrics; got ${describeValue(value)}`);
  return value;
}
