import { describe, expect, it } from 'vitest';

import type { MachineLimits } from '../../src/plan/preflight.js';
import { UsageError } from '../../src/errors.js';
import { parseConfig } from '../../src/scenario/config-schema.js';
import type { WsbenchConfig } from '../../src/scenario/config-schema.js';
import { defaultConfig } from '../../src/scenario/default-config.js';
import { matchesPattern } from '../../src/scenario/match-pattern.js';
import { DRIVER_MESSAGES_PER_CORE_PER_SEC, planScenarios } from '../../src/scenario/matrix.js';
import { MACHINE } from '../support/machine.js';


const seed = parseConfig(defaultConfig, 'default');
const plan = (config: WsbenchConfig, profile = 'full', scenarioGlob?: string, machine: Partial<MachineLimits> = {}) =>
  planScenarios(parseConfig(config, 'test'), { profile, machine: { ...MACHINE, ...machine }, ...(scenarioGlob === undefined ? {} : { scenarioGlob }) });

function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('matrix expansion', () => {
  it('expands connections × rate × size into named scenarios in order', () => {
    const names = plan({ matrix: [{ name: 'm', connections: [10, 20], rate: [1, 5], size: [128, '1KiB'] }] }).map((s) => s.name);
    expect(names).toEqual([
      'm-10c-1r-128b', 'm-10c-1r-1024b', 'm-10c-5r-128b', 'm-10c-5r-1024b',
      'm-20c-1r-128b', 'm-20c-1r-1024b', 'm-20c-5r-128b', 'm-20c-5r-1024b',
    ]);
  });

  it('keeps only combinations matching include, adds complete ones it lacks, then drops exclude', () => {
    const names = plan({
      matrix: [
        {
          name: 'm',
          connections: [10, 20],
          rate: [1, 5],
          size: [128, 256],
          include: [{ connections: 10 }, { connections: 30, rate: 2, size: 64 }],
          exclude: [{ rate: 5, size: 256 }],
        },
      ],
    }).map((s) => s.name);
    expect(names).toEqual(['m-10c-1r-128b', 'm-10c-1r-256b', 'm-10c-5r-128b', 'm-30c-2r-64b']);
  });

  it('gives every generated scenario the matrix settings and tags', () => {
    const [first] = plan({ matrix: [{ name: 'm', connections: [10], rate: [2], size: ['4KiB'], duration: '3s', warmup: '1s', tags: ['grid'], gates: { p99Percent: 25 } }] });
    expect(first).toMatchObject({
      name: 'm-10c-2r-4096b',
      target: 'gobwas',
      tags: ['grid'],
      gates: { p99: 25 },
      options: { scenarioName: 'm-10c-2r-4096b', connections: 10, ratePerConnection: 2, messageBytes: 4096, durationMs: 3000, warmupMs: 1000 },
      offeredMessagesPerSec: 20,
      offeredBytesPerSec: 81_920,
    });
  });

  it('rejects a matrix whose names collide with a scenario', () => {
    expect(() => parseConfig({ scenarios: [{ name: 'm-10c-1r-128b', connections: 1, rate: 1, size: 128 }], matrix: [{ name: 'm', connections: [10], rate: [1], size: [128] }] }, 'x')).toThrow(
      /matrix\[0\]\.name: matrix scenario "m-10c-1r-128b" is already the name of scenarios\[0\]\.name/,
    );
  });
});

describe('profiles', () => {
  it('runs the three seed mixes in quick, scaled to 1/5 of their connections and recorded as such', () => {
    const quick = planScenarios(seed, { profile: 'quick', machine: MACHINE });
    expect(quick.map((s) => [s.name, s.options.connections, s.options.ratePerConnection, s.options.messageBytes, s.options.durationMs])).toEqual([
      ['high-conn-low-msg', 2000, 1, 256, 10_000],
      ['mid-conn-mid-msg', 1000, 5, 1024, 10_000],
      ['low-conn-high-msg', 200, 50, 4096, 10_000],
    ]);
    expect(quick.every((s) => s.skipReason === undefined && s.pairs === 5)).toBe(true);
    expect(quick[0]!.scaling?.note).toBe('quick profile: 1/5 of the configured connections (10,000 → 2,000), 1/3 of the configured duration (30 s → 10 s)');
    // An A/B gate: 5 pairs = 10 trials per scenario; it must fit a PR's ten minutes with room for the builds.
    const gateMs = quick.reduce((sum, s) => sum + 2 * s.pairs! * s.estimatedTrialMs, 0);
    expect(gateMs).toBeLessThan(8 * 60_000);
  });

  it('runs everything in full, skipping what this machine cannot drive instead of dropping it', () => {
    const full = planScenarios(seed, { profile: 'full', machine: MACHINE });
    expect(full).toHaveLength(74);
    expect(full.find((s) => s.name === 'low-conn-high-msg')).toMatchObject({ options: { connections: 1000 }, skipReason: expect.stringMatching(/^offers 50,000 msg\/s/) });
    expect(full.filter((s) => s.skipReason === undefined).length).toBeGreaterThan(10);
  });

  it('gives a config without profiles the built-in quick (tag:quick) and full', () => {
    const config: WsbenchConfig = { scenarios: [{ name: 'a', connections: 1, rate: 1, size: 8, tags: ['quick'] }, { name: 'b', connections: 1, rate: 1, size: 8 }] };
    expect(plan(config, 'quick').map((s) => s.name)).toEqual(['a']);
    expect(plan(config, 'full').map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('lists the profiles when asked for an unknown one', () => {
    const error = usageError(() => planScenarios(seed, { profile: 'nightly', machine: MACHINE }));
    expect(error.code).toBe('UNKNOWN_PROFILE');
    expect(error.message).toBe('Unknown profile "nightly". Give one of the profiles: quick, full');
  });
});

describe('skip reasons', () => {
  it('skips 100K × 50/s × 4 KiB with the numbers: messages, bytes and the fd limit', () => {
    const [scenario] = planScenarios(seed, { profile: 'full', scenarioGlob: 'matrix-100000c-50r-4096b', machine: MACHINE });
    expect(scenario!.offeredMessagesPerSec).toBe(5_000_000);
    const reason = scenario!.skipReason!;
    expect(reason).toContain(
      `offers 5,000,000 msg/s; this machine's driver sustains about ${(2 * DRIVER_MESSAGES_PER_CORE_PER_SEC).toLocaleString('en-US')} msg/s on 2 cores`,
    );
    expect(reason).toContain('offers 19.07 GiB/s of payload; this machine\'s driver moves about 100.0 MiB/s on 2 cores');
    expect(reason).toContain('100,000 connections need 6 target processes at fd limit 20,000 (19,800 sockets each), the target runs 1: use target "gobwas:procs=6"');
  });

  it('skips a fixture whose --procs cannot hold the connections under the fd limit, naming the knob', () => {
    const config: WsbenchConfig = { scenarios: [{ name: 'wide', connections: 3000, rate: 1, size: 128 }, { name: 'wide-procs', target: 'gobwas:procs=2', connections: 3000, rate: 1, size: 128 }] };
    const [one, two] = plan(config, 'full', undefined, { nofileSoft: 2048, nofileHard: 65_536 });
    expect(one!.skipReason).toBe('3,000 connections need 2 target processes at fd limit 2,048 (1,848 sockets each), the target runs 1: use target "gobwas:procs=2" or raise `ulimit -n`');
    expect(two!.skipReason).toBeUndefined();
    expect(two!.warnings[0]).toMatch(/^fd limit 2048 per process: using 2 driver processes/);
  });

  it('skips what the load planner refuses, with its reason', () => {
    const [scenario] = plan({ scenarios: [{ name: 'x', connections: 1000, rate: 1, size: 128, workers: 1 }] }, 'full', undefined, { nofileSoft: 500 });
    expect(scenario!.skipReason).toContain('--workers 1 is too few for 1000 connections');
  });
});

describe('scenario globs', () => {
  it('matches * and ? over names and tag:NAME over tags', () => {
    expect(matchesPattern('knob-read-*', 'knob-read-buffer-4k', [])).toBe(true);
    expect(matchesPattern('matrix-1000c-?r-128b', 'matrix-1000c-5r-128b', [])).toBe(true);
    expect(matchesPattern('matrix-1000c-?r-128b', 'matrix-1000c-10r-128b', [])).toBe(false);
    expect(matchesPattern('a.b', 'axb', [])).toBe(false);
    expect(matchesPattern('tag:knobs', 'x', ['knobs'])).toBe(true);
  });

  it('narrows the profile to the scenarios the glob matches', () => {
    expect(planScenarios(seed, { profile: 'full', scenarioGlob: 'knob-write-*', machine: MACHINE }).map((s) => s.name)).toEqual(['knob-write-single', 'knob-write-batch']);
  });

  it('lists the profile scenarios when the glob matches none, and says where it would match', () => {
    const error = usageError(() => planScenarios(seed, { profile: 'quick', scenarioGlob: 'knob-model-*', machine: MACHINE }));
    expect(error.code).toBe('NO_SCENARIO_MATCHES');
    expect(error.message).toBe(
      '--scenario "knob-model-*" matches no scenario of profile quick (it matches knob-model-goroutine, knob-model-epoll outside this profile: try --profile full); ' +
        'its scenarios: high-conn-low-msg, mid-conn-mid-msg, low-conn-high-msg',
    );
  });
});
