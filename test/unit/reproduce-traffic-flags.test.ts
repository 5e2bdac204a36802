import { describe, expect, it } from 'vitest';
import { readFlags } from '../../src/cli/flags/flag-table.js';
import { PATTERN_FLAGS, TRAFFIC_FLAGS } from '../../src/cli/flags/traffic-flags.js';
import { HEADER_VALUE_PLACEHOLDER, trafficFlags } from '../../src/report/reproduce-command.js';
import type { TrafficOptions } from '../../src/scenario/traffic-options.js';
import { parseHeader, parseMatch } from '../../src/scenario/traffic-options.js';
import { recordTraffic } from '../../src/scenario/traffic-record.js';

/**
 * reproduce-command.ts spells the traffic flags again (the report layer may not import the CLI's tables), so
 * this reads its output back through those tables: a flag renamed, added or reparsed on one side fails here.
 */
const TABLE = { ...TRAFFIC_FLAGS, ...PATTERN_FLAGS };

/** Every traffic option set, each to a value its flag's parser gives back unchanged. */
const EVERY_OPTION: Required<TrafficOptions> = {
  headers: [parseHeader('Authorization: Bearer s3cret', '--header'), parseHeader('X-Tenant: 7', '--header')],
  subprotocol: 'v1.chat',
  caFile: '/etc/ssl/private-ca.pem',
  insecure: true,
  compression: true,
  payload: 'text',
  messageTemplate: '{"id":{{seq}},"pad":"{{pad}}"}',
  match: parseMatch('json:meta.id', '--match'),
  pattern: 'churn',
  publishers: 3,
  subscribeTemplate: '{"subscribe":{{conn}}}',
  pingIntervalMs: 2500,
  churnRatePerSec: 200,
  stormAtMs: 1500,
  serverPid: 4242,
  serverMetricsUrl: 'http://127.0.0.1:9090/metrics',
};

describe('the reproduce command\'s traffic flags', () => {
  it('read back through the CLI\'s flag tables to the options recorded, header values to fill in', () => {
    const words = trafficFlags(recordTraffic(EVERY_OPTION));
    const { options } = readFlags('run', words, TABLE);

    const { headers, ...rest } = EVERY_OPTION;
    expect(options).toEqual({ ...rest, headers: headers.map(([name]) => [name, HEADER_VALUE_PLACEHOLDER]) });
  });

  it('cover every traffic flag the CLI has', () => {
    const words = trafficFlags(recordTraffic(EVERY_OPTION));
    const given = new Set(words.filter((word) => word.startsWith('--')).map((word) => word.slice(2)));

    expect([...given].sort()).toEqual(Object.keys(TABLE).sort());
    // And the options above set every field a traffic flag fills: none is left untested.
    expect(Object.values(TABLE).map((flag) => flag.key).sort()).toEqual(Object.keys(EVERY_OPTION).sort());
  });
});
