import { readFileSync } from 'node:fs';
import { UsageError, describeValue } from '../errors.js';
import type { HandshakeOptions } from '../driver/handshake-options.js';

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
