import { parseChurnRate, parseHeader, parseMatch, parseMetricsUrl, parsePattern, parsePayload, parsePingInterval, parseSubprotocol, parseTemplate } from '../../scenario/traffic-options.js';
import { durationFlag, integerFlag, repeatableFlag, stringFlag, switchFlag, valueFlag } from './flag.js';

/**
 * Handshake, message and server-sampling flags, shared by every command that drives load (run, compare,
 * ramp, limit, k8s). The keys are TrafficOptions' fields, and the parsers the config file's, so both
 * fail with the same words.
 */
export const TRAFFIC_FLAGS = {
  header: repeatableFlag('headers', "'N: V'", "an extra handshake header (repeatable), e.g. 'Authorization: Bearer abc'", parseHeader),
  subprotocol: valueFlag('subprotocol', 'P', 'offer subprotocol P (Sec-WebSocket-Protocol); the server must accept it', parseSubprotocol),
  ca: stringFlag('caFile', 'FILE', "trust this CA's PEM for a wss:// --url (a private CA)"),
  insecure: switchFlag('insecure', 'accept any certificate of a wss:// --url (self-signed test servers)'),
  compression: switchFlag('compression', 'offer permessage-deflate (off by default: it costs CPU on both sides)'),
  payload: valueFlag('payload', 'binary|text', "echo payload: binary (default) or printable text 'wsbench <seq> aaa…' (no newline)", parsePayload),
  message: valueFlag('messageTemplate', 'TEMPLATE', "send this text instead, filling {{seq}} {{conn}} {{ts}} (intended send time,\nepoch µs) {{pad}} (filler up to --size), e.g. '{\"id\":{{seq}},\"pad\":\"{{pad}}\"}'", (raw, option) => parseTemplate(raw, option)),
  match: valueFlag('match', 'json:PATH|regex:RE', 'pair each reply with its request by the {{seq}} it carries (a JSON field, or\nthe regex\'s first group); replies that match nothing count as unmatched', parseMatch),
  'ping-interval': valueFlag('pingIntervalMs', 'D', 'every connection pings this often; pong RTT and missed pongs in the result', parsePingInterval),
  'server-pid': integerFlag('serverPid', 'PID', 'for --url: sample this server process (CPU, RSS, threads, cost per message)'),
  'server-metrics': valueFlag('serverMetricsUrl', 'URL', 'for --url, with --server-pid: its Prometheus /metrics (goroutines, GC, allocations)', parseMetricsUrl),
};

/**
 * Traffic patterns other than an echo per connection (broadcast, churn): run, compare and k8s. Ramp and
 * limit hold a count of echoing connections per step or probe, so they do not take these.
 */
export const PATTERN_FLAGS = {
  pattern: valueFlag('pattern', 'echo|broadcast|churn', 'broadcast: --publishers connections send at --rate, every other\nconnection subscribes; latency per delivery from the publisher\'s intended send time', parsePattern),
  publishers: integerFlag('publishers', 'N', 'broadcast publishers (default 1)'),
  subscribe: valueFlag('subscribeTemplate', 'TEMPLATE', 'broadcast: a text message each subscriber sends once after opening ({{conn}})', (raw, option) => parseTemplate(raw, option, ['conn'])),
  'churn-rate': valueFlag('churnRatePerSec', 'N', 'with --pattern churn: close and reopen N connections a second (idle ones, our close)', parseChurnRate),
  storm: durationFlag('stormAtMs', 'AT', 'with --pattern churn: every connection drops and reconnects at once, AT into the load'),
};
