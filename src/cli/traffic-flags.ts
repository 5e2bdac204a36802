import type { TrafficOptions } from '../scenario/traffic-options.js';
import { parseHeader, parseMatch, parsePattern, parsePayload, parseChurnRate, parseMetricsUrl, parsePingInterval, parseSubprotocol, parseTemplate } from '../scenario/traffic-options.js';
import { parseDurationMs, parsePositiveInteger } from '../units.js';

/** Handshake and traffic-shape flags, shared by every command that drives load (with the load flags). */
export const TRAFFIC_FLAGS = {
  header: { type: 'string', multiple: true },
  subprotocol: { type: 'string' },
  ca: { type: 'string' },
  insecure: { type: 'boolean' },
  compression: { type: 'boolean' },
  payload: { type: 'string' },
  message: { type: 'string' },
  match: { type: 'string' },
  pattern: { type: 'string' },
  publishers: { type: 'string' },
  subscribe: { type: 'string' },
  'ping-interval': { type: 'string' },
  'churn-rate': { type: 'string' },
  storm: { type: 'string' },
  'server-pid': { type: 'string' },
  'server-metrics': { type: 'string' },
} as const;

export const TRAFFIC_FLAGS_USAGE = `  --header 'N: V'      an extra handshake header (repeatable), e.g. 'Authorization: Bearer abc'
  --subprotocol P      offer subprotocol P (Sec-WebSocket-Protocol); the server must accept it
  --ca FILE            trust this CA's PEM for a wss:// --url (a private CA)
  --insecure           accept any certificate of a wss:// --url (self-signed test servers)
  --compression        offer permessage-deflate (off by default: it costs CPU on both sides)
  --payload binary|text  echo payload: binary (default) or printable text 'wsbench <seq> aaa…' (no newline)
  --message TEMPLATE   send this text instead, filling {{seq}} {{conn}} {{ts}} (intended send time,
                       epoch µs) {{pad}} (filler up to --size), e.g. '{"id":{{seq}},"pad":"{{pad}}"}'
  --match json:PATH|regex:RE  pair each reply with its request by the {{seq}} it carries (a JSON field, or
                       the regex's first group); replies that match nothing count as unmatched
  --pattern echo|broadcast|churn  broadcast: --publishers connections send at --rate, every other
                       connection subscribes; latency per delivery from the publisher's intended send time
  --publishers N       broadcast publishers (default 1)
  --subscribe TEMPLATE broadcast: a text message each subscriber sends once after opening ({{conn}})
  --ping-interval D    every connection pings this often; pong RTT and missed pongs in the result
  --churn-rate N       with --pattern churn: close and reopen N connections a second (idle ones, our close)
  --storm AT           with --pattern churn: every connection drops and reconnects at once, AT into the load
  --server-pid PID     for --url: sample this server process (CPU, RSS, threads, cost per message)
  --server-metrics URL for --url, with --server-pid: its Prometheus /metrics (goroutines, GC, allocations)`;

interface TrafficFlagValues {
  header?: string[];
  subprotocol?: string;
  ca?: string;
  insecure?: boolean;
  compression?: boolean;
  payload?: string;
  message?: string;
  match?: string;
  pattern?: string;
  publishers?: string;
  subscribe?: string;
  'ping-interval'?: string;
  'churn-rate'?: string;
  storm?: string;
  'server-pid'?: string;
  'server-metrics'?: string;
}

export function parseTrafficFlags(values: TrafficFlagValues): TrafficOptions {
  return {
    ...(values.header === undefined ? {} : { headers: values.header.map((header) => parseHeader(header, '--header')) }),
    ...(values.subprotocol === undefined ? {} : { subprotocol: parseSubprotocol(values.subprotocol, '--subprotocol') }),
    ...(values.ca === undefined ? {} : { caFile: values.ca }),
    ...(values.insecure === undefined ? {} : { insecure: values.insecure }),
    ...(values.compression === undefined ? {} : { compression: values.compression }),
    ...(values.payload === undefined ? {} : { payload: parsePayload(values.payload, '--payload') }),
    ...(values.message === undefined ? {} : { messageTemplate: parseTemplate(values.message, '--message') }),
    ...(values.match === undefined ? {} : { match: parseMatch(values.match, '--match') }),
    ...(values.pattern === undefined ? {} : { pattern: parsePattern(values.pattern, '--pattern') }),
    ...(values.publishers === undefined ? {} : { publishers: parsePositiveInteger(values.publishers, '--publishers') }),
    ...(values.subscribe === undefined ? {} : { subscribeTemplate: parseTemplate(values.subscribe, '--subscribe', ['conn']) }),
    ...(values['ping-interval'] === undefined ? {} : { pingIntervalMs: parsePingInterval(values['ping-interval'], '--ping-interval') }),
    ...(values['churn-rate'] === undefined ? {} : { churnRatePerSec: parseChurnRate(values['churn-rate'], '--churn-rate') }),
    ...(values.storm === undefined ? {} : { stormAtMs: parseDurationMs(values.storm, '--storm') }),
    ...(values['server-pid'] === undefined ? {} : { serverPid: parsePositiveInteger(values['server-pid'], '--server-pid') }),
    ...(values['server-metrics'] === undefined ? {} : { serverMetricsUrl: parseMetricsUrl(values['server-metrics'], '--server-metrics') }),
  };
}
