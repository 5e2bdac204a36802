import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../src/errors.js';
import { closest, formatPath, parseConfig } from '../../src/scenario/config-schema.js';
import type { WsbenchConfig } from '../../src/scenario/config-schema.js';
import { defaultConfig } from '../../src/scenario/default-config.js';
import { defineConfig } from '../../src/index.js';

function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input, 'wsbench.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as ConfigError).message).toMatch(/^wsbench\.yaml is not valid:/);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected the config to be rejected');
}

const scenario = { name: 'smoke', connections: 100, rate: 10, size: 256 };

describe('config schema', () => {
  it('lists every problem of a bad config at once, each with its path', () => {
    const problems = problemsOf({
      scenarios: [
        scenario,
        { name: 'smoke', connections: 100, rate: 10, size: 256 },
        { name: 'bad', connections: 0, rate: 'fast', size: '4 KBs', duration: 'soon', target: 'gobwass' },
      ],
      matrix: [{ name: 'grid', connections: [], rate: [1], size: [128] }],
      targets: { mine: { start: { command: 'srv' }, readyLine: '([' } },
      profiles: { pr: { scenarios: ['nope-*'] } },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'scenarios[2].connections: expected a positive integer, got 0 (number)',
        'scenarios[2].rate: expected a positive number, got "fast" (string)',
        expect.stringMatching(/^scenarios\[2\]\.size: expected a size in bytes .*got "4 KBs" \(string\)$/),
        expect.stringMatching(/^scenarios\[2\]\.duration: expected a duration .*got "soon" \(string\)$/),
        expect.stringMatching(/^scenarios\[2\]\.target: unknown target "gobwass" \(did you mean "gobwas"\?\)/),
        expect.stringMatching(/^scenarios\[1\]\.name: scenario name "smoke" is already the name of scenarios\[0\]\.name/),
        'matrix[0].connections: expected a non-empty list, got [] (array)',
        'targets.mine.readyLine: expected a valid regular expression, got "([" (string)',
        expect.stringMatching(/^profiles\.pr\.scenarios\[0\]: "nope-\*" matches no scenario; scenarios: smoke, bad/),
      ]),
    );
    expect(problems).toHaveLength(9);
  });

  it('rejects an unknown key and suggests the closest known one', () => {
    expect(problemsOf({ scenarios: [{ ...scenario, duraton: '10s' }] })).toEqual(['scenarios[0]: unknown key "duraton": did you mean "duration"?']);
    expect(problemsOf({ scenarioz: [] })).toEqual(['(top level): unknown key "scenarioz": did you mean "scenarios"?']);
    expect(problemsOf({ scenarios: [{ ...scenario, colour: 'red' }] })[0]).toMatch(/unknown key "colour" \(known keys: name, description, target, /);
  });

  it('says a required field is missing rather than that it has the wrong type', () => {
    expect(problemsOf({ scenarios: [{ name: 'x', rate: 1, size: 128 }] })).toEqual(['scenarios[0].connections: is required: expected a positive integer']);
  });

  it('reads sizes and durations with the same units as the command line', () => {
    const config = parseConfig({ scenarios: [{ ...scenario, size: '4KiB', duration: '1.5s', warmup: '500ms', timeout: '2m' }] }, 'x');
    expect(config.scenarios[0]).toMatchObject({ messageBytes: 4096, durationMs: 1500, warmupMs: 500, messageTimeoutMs: 120_000 });
    expect(parseConfig({ scenarios: [{ ...scenario, size: '1KB', duration: '3000ms' }] }, 'x').scenarios[0]).toMatchObject({ messageBytes: 1000, durationMs: 3000 });
  });

  it('refuses a duration without a unit and says how to write it (10 meant seconds to the writer, ms to the parser)', () => {
    expect(problemsOf({ scenarios: [{ ...scenario, duration: 10 }] })).toEqual(['scenarios[0].duration: a bare number has no unit: write "10s" for seconds or "10ms" for milliseconds; got 10 (number)']);
    expect(parseConfig({ scenarios: [{ ...scenario, warmup: 0 }] }, 'x').scenarios[0]).toMatchObject({ warmupMs: 0 });
  });

  it('refuses messages smaller than the driver payload and durations of zero', () => {
    const problems = problemsOf({ scenarios: [{ ...scenario, size: 4, duration: '0s', warmup: '0s' }] });
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^scenarios\[0\]\.size: expected a size in bytes of at least 8, .*got 4 \(number\)$/),
        expect.stringMatching(/^scenarios\[0\]\.duration: expected a duration above zero .*got "0s" \(string\)$/),
      ]),
    );
  });

  it('fills defaults and maps gates to compare tolerances', () => {
    const config = parseConfig({ scenarios: [{ ...scenario, gates: { throughputPercent: 3, p99Percent: 20 } }] }, 'x');
    expect(config.scenarios[0]).toEqual({
      name: 'smoke',
      target: 'gobwas',
      connections: 100,
      ratePerConnection: 10,
      messageBytes: 256,
      durationMs: 10_000,
      warmupMs: 2_000,
      gates: { throughput: 3, p99: 20 },
      tags: [],
    });
    expect(Object.keys(config.profiles)).toEqual(['quick', 'full']);
  });

  it('maps every server-cost gate of a scenario to its metric, and names a misspelt one', () => {
    const gates = { cpuPerMessagePercent: 3, allocBytesPerMessagePercent: 4, allocsPerMessagePercent: 6, memoryPerConnectionPercent: 12, gcPer10kMessagesPercent: 30 };
    expect(parseConfig({ scenarios: [{ ...scenario, gates }] }, 'x').scenarios[0]?.gates).toEqual({
      cpuPerMessage: 3,
      allocBytesPerMessage: 4,
      allocsPerMessage: 6,
      memoryPerConnection: 12,
      gcPer10kMessages: 30,
    });
    expect(problemsOf({ scenarios: [{ ...scenario, gates: { cpuPerMessagesPercent: 3 } }] }).join('\n')).toMatch(/cpuPerMessagesPercent.*cpuPerMessagePercent/);
  });

  it('checks knobs in target SPECs against built-in and config targets', () => {
    const problems = problemsOf({
      targets: { mine: { start: { command: 'srv' }, knobs: { mode: { flag: '--mode', values: ['a', 'b'] }, buf: { flag: '--buf', type: 'bytes' } } } },
      scenarios: [
        { ...scenario, name: 'a', target: 'gobwas:model=threads' },
        { ...scenario, name: 'b', target: 'gobwas:colour=red' },
        { ...scenario, name: 'c', target: 'mine:mode=c' },
        { ...scenario, name: 'd', target: 'mine:mode=a,buf=4KiB' },
      ],
    });
    expect(problems).toEqual([
      'scenarios[0].target: expected knob model to be one of goroutine | epoll; got "threads" (string). Give e.g. model=goroutine',
      expect.stringMatching(/^scenarios\[1\]\.target: target gobwas has no knob "colour"; its knobs are: model, read-buffer, /),
      'scenarios[2].target: knob mode takes a | b; got "c"',
    ]);
  });

  it('asks a knob for either values or a type', () => {
    expect(problemsOf({ targets: { mine: { start: { command: 'srv' }, knobs: { mode: { flag: '--mode' } } } } })).toEqual([
      'targets.mine.knobs.mode: give either `values` (the knob takes one of them) or `type` (bytes, count or string), not both or neither',
    ]);
  });

  it('accepts the built-in default config, and defineConfig returns what it is given', () => {
    const config = parseConfig(defaultConfig, 'default');
    expect(config.scenarios).toHaveLength(3 + 7 + 64);
    const typed: WsbenchConfig = defineConfig({ scenarios: [scenario] });
    expect(typed).toEqual({ scenarios: [scenario] });
  });

  it('writes paths the way users read them', () => {
    expect(formatPath(['scenarios', 2, 'rate'])).toBe('scenarios[2].rate');
    expect(formatPath(['targets', 'my server', 'start'])).toBe('targets["my server"].start');
    expect(closest('rtae', ['rate', 'size'])).toBe('rate');
    expect(closest('banana', ['rate', 'size'])).toBeUndefined();
  });
});
