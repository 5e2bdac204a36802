import type { TrafficOptions } from '../scenario/traffic-options.js';
import { parseHeader, parseSubprotocol } from '../scenario/traffic-options.js';

/** Handshake and traffic-shape flags, shared by every command that drives load (with the load flags). */
export const TRAFFIC_FLAGS = {
  header: { type: 'string', multiple: true },
  subprotocol: { type: 'string' },
  ca: { type: 'string' },
  insecure: { type: 'boolean' },
  compression: { type: 'boolean' },
} as const;

export const TRAFFIC_FLAGS_USAGE = `  --header 'N: V'      an extra handshake header (repeatable), e.g. 'Authorization: Bearer abc'
  --subprotocol P      offer subprotocol P (Sec-WebSocket-Protocol); the server must accept it
  --ca FILE            trust this CA's PEM for a wss:// --url (a private CA)
  --insecure           accept any certificate of a wss:// --url (self-signed test servers)
  --compression        offer permessage-deflate (off by default: it costs CPU on both sides)`;

interface TrafficFlagValues {
  header?: string[];
  subprotocol?: string;
  ca?: string;
  insecure?: boolean;
  compression?: boolean;
}

export function parseTrafficFlags(values: TrafficFlagValues): TrafficOptions {
  return {
    ...(values.header === undefined ? {} : { headers: values.header.map((header) => parseHeader(header, '--header')) }),
    ...(values.subprotocol === undefined ? {} : { subprotocol: parseSubprotocol(values.subprotocol, '--subprotocol') }),
    ...(values.ca === undefined ? {} : { caFile: values.ca }),
    ...(values.insecure === undefined ? {} : { insecure: values.insecure }),
    ...(values.compression === undefined ? {} : { compression: values.compression }),
  };
}
