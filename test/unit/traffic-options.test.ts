import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHeader, parseSubprotocol, resolveHandshake } from '../../src/scenario/traffic-options.js';
import { diffTcpCounters, parseTcpCounters } from '../../src/metrics/tcp-counters.js';
import { parseConfig } from '../../src/scenario/config-schema.js';
import { abnormalClosures } from '../../src/run/build-run-result.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-traffic-'));

describe('handshake options', () => {
  it('parses Name: value headers, keeping colons inside the value', () => {
    expect(parseHeader('Authorization: Bearer a:b', '--header')).toEqual(['Authorization', 'Bearer a:b']);
    expect(parseHeader('X-Empty:', '--header')).toEqual(['X-Empty', '']);
  });

  it('rejects a header without a name, and headers the handshake writes itself, naming the fix', () => {
    expect(() => parseHeader('Bearer abc', '--header')).toThrow(/Expected --header to be 'Name: value'/);
    expect(() => parseHeader('bad name: 1', '--header')).toThrow(/INVALID_HEADER|'Name: value'/);
    expect(() => parseHeader('Sec-WebSocket-Protocol: chat', '--header')).toThrow(/use --subprotocol/);
    expect(() => parseHeader('Host: x', '--header')).toThrow(/written by the WebSocket handshake/);
  });

  it('accepts subprotocol tokens only', () => {
    expect(parseSubprotocol('graphql-ws', '--subprotocol')).toBe('graphql-ws');
    expect(() => parseSubprotocol('a b', '--subprotocol')).toThrow(/subprotocol token/);
  });

  it('reads the CA file before any load and refuses TLS flags that cannot apply', () => {
    const pem = path.join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(resolveHandshake({ caFile: pem }, 'wss://127.0.0.1:1/').caPem).toContain('BEGIN CERTIFICATE');
    expect(() => resolveHandshake({ caFile: path.join(dir, 'missing.pem') }, 'wss://h/')).toThrow(/cannot be read \(ENOENT\)/);
    const notPem = path.join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(() => resolveHandshake({ caFile: notPem }, 'wss://h/')).toThrow(/no PEM certificate/);
    expect(() => resolveHandshake({ insecure: true }, 'ws://h/')).toThrow(/use wss:\/\/h\//);
    expect(() => resolveHandshake({ insecure: true }, undefined)).toThrow(/--url/);
    expect(() => resolveHandshake({ insecure: true, caFile: pem }, 'wss://h/')).toThrow(/not both/);
    expect(resolveHandshake({}, 'ws://h/')).toEqual({ headers: [], insecure: false, compression: false });
  });

  it('takes the same fields in a config scenario and a matrix, with the flag parsers\' errors', () => {
    const config = parseConfig(
      {
        scenarios: [{ name: 's', connections: 1, rate: 1, size: 64, headers: ['X-A: 1'], subprotocol: 'v1', compression: true }],
        matrix: [{ name: 'm', connections: [1], rate: [1], size: [64], insecure: true }],
      },
      'test',
    );
    expect(config.scenarios[0]!.traffic).toEqual({ headers: [['X-A', '1']], subprotocol: 'v1', compression: true });
    expect(config.scenarios[1]!.traffic).toEqual({ insecure: true });
    expect(() => parseConfig({ scenarios: [{ name: 's', connections: 1, rate: 1, size: 64, headers: ['nope'] }] }, 'test')).toThrow(/scenarios\[0\]\.headers\[0\]: expected header to be 'Name: value'/);
  });
});

const NETSTAT = `TcpExt: SyncookiesSent ListenOverflows ListenDrops TW
TcpExt: 0 7 9 100
IpExt: InNoRoutes
IpExt: 0
`;
const SNMP = `Ip: Forwarding
Ip: 1
Tcp: RtoAlgorithm ActiveOpens RetransSegs InErrs OutRsts
Tcp: 1 50 12 0 4
`;

describe('TCP counters', () => {
  it('reads listen overflows and drops from netstat, retransmits and resets from snmp', () => {
    expect(parseTcpCounters(NETSTAT, SNMP)).toEqual({ listenOverflows: 7, listenDrops: 9, retransSegs: 12, resets: 4 });
  });

  it('gives null for files without the groups, and deltas between two readings', () => {
    expect(parseTcpCounters('', SNMP)).toBeNull();
    const before = { listenOverflows: 1, listenDrops: 1, retransSegs: 10, resets: 2 };
    expect(diffTcpCounters(before, { listenOverflows: 4, listenDrops: 5, retransSegs: 10, resets: 3 })).toEqual({ listenOverflows: 3, listenDrops: 4, retransSegs: 0, resets: 1 });
    expect(diffTcpCounters(null, before)).toBeNull();
  });
});

describe('abnormal closures', () => {
  it('counts closes by code without the CLOSE_ prefix and socket errors by errno', () => {
    expect(abnormalClosures({ CLOSE_1006: 2, CLOSE_1011: 1, ECONNRESET: 3 })).toEqual({ total: 6, byCode: { '1006': 2, '1011': 1, ECONNRESET: 3 } });
  });
});
