import { describe, expect, it } from 'vitest';
import { reproduceCommand, trafficFlags } from '../../src/report/reproduce-command.js';
import { parseHeader, parseMatch } from '../../src/scenario/traffic-options.js';
import { recordTraffic } from '../../src/scenario/traffic-record.js';
import type { RunResult } from '../../src/run/run-result.js';

describe('recordTraffic', () => {
  it('keeps what was set and only the names of headers, whose values may be credentials', () => {
    const record = recordTraffic({ headers: [parseHeader('Authorization: Bearer s3cret', '--header'), parseHeader('X-Tenant: 7', '--header')], subprotocol: 'v1.chat', compression: true, pingIntervalMs: 5000, insecure: undefined });

    expect(record).toEqual({ headerNames: ['Authorization', 'X-Tenant'], subprotocol: 'v1.chat', compression: true, pingIntervalMs: 5000 });
    expect(JSON.stringify(record)).not.toContain('s3cret');
  });

  it('records nothing for a plain binary echo', () => {
    expect(recordTraffic(undefined)).toBeUndefined();
    expect(recordTraffic({})).toBeUndefined();
    expect(recordTraffic({ headers: [] })).toBeUndefined();
  });
});

describe('trafficFlags', () => {
  it('gives back the flags that set each field, a header with its value to fill in', () => {
    const record = recordTraffic({
      headers: [parseHeader('Authorization: Bearer s3cret', '--header')],
      payload: 'text',
      messageTemplate: '{"id":{{seq}},"pad":"{{pad}}"}',
      match: parseMatch('json:meta.id', '--match'),
      pattern: 'churn',
      churnRatePerSec: 200,
      stormAtMs: 1500,
      pingIntervalMs: 2000,
    });

    expect(trafficFlags(record)).toEqual([
      '--header', 'Authorization: <value>', '--payload', 'text', '--message', '{"id":{{seq}},"pad":"{{pad}}"}', '--match', 'json:meta.id',
      '--pattern', 'churn', '--ping-interval', '2s', '--churn-rate', '200', '--storm', '1500ms',
    ]);
    expect(trafficFlags(recordTraffic({ match: parseMatch('regex:"id":(\\d+)', '--match'), insecure: true, caFile: undefined }))).toEqual(['--insecure', '--match', 'regex:"id":(\\d+)']);
  });

  it('puts them on the run\'s reproduce command, shell-quoted', () => {
    const result = {
      kind: 'run',
      target: { spec: 'wss://127.0.0.1:9443/ws', command: null },
      scenario: { name: 's', connections: 10, ratePerConnection: 1, messageBytes: 64, durationMs: 4000, warmupMs: 1000, traffic: { headerNames: ['Authorization'], compression: true, subprotocol: 'graphql-ws' } },
    } as unknown as RunResult;

    expect(reproduceCommand(result)).toBe("npx wsbench run --url wss://127.0.0.1:9443/ws --scenario s --connections 10 --rate 1 --size 64 --duration 4s --warmup 1s --header 'Authorization: <value>' --subprotocol graphql-ws --compression --json run.json");
  });
});
