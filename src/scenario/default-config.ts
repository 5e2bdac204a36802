import type { WsbenchConfig } from './config-schema.js';

/**
 * The config used when there is no `wsbench.config.ts` or `wsbench.yaml`: the seed's plan
 * (seed/README.md §2 and §5) against the gobwas/ws fixture.
 *
 * - `matrix-*`: connections 1K/10K/50K/100K × rate 1/5/10/50 per s × size 128 B/512 B/1 KiB/4 KiB (64 scenarios,
 *   tag `full`). Sizes are powers of two like the seed's 128 and 512. Most of the big ones are skipped with
 *   their reason on a 2-core machine: that is the point of listing them.
 * - the three mixes of §5.2 at the seed's numbers (tag `mix`);
 * - the fixture's knobs one at a time at a moderate load (tag `knobs`).
 *
 * `quick` is what a pull request runs: the three mixes at 1/5 of their connections and 10 s each, 5 A/B pairs,
 * about 7 minutes of trials on a 2-core runner (3 × 10 trials × ~14 s), ~10 with the two builds. The scaling is
 * recorded in each planned scenario (`PlannedScenario.scaling`), so reports say so. `full` is everything.
 */

const MIX_DURATION = '30s';
const MIX_WARMUP = '2s';
const KNOB_LOAD = { connections: 1000, rate: 10, size: '1KiB', duration: '20s', warmup: '2s', tags: ['knobs'] } as const;

export const defaultConfig: WsbenchConfig = {
  scenarios: [
    {
      name: 'high-conn-low-msg',
      description: "the seed's mix: many connections, light traffic (10K × 1/s × 256 B)",
      connections: 10_000,
      rate: 1,
      size: 256,
      duration: MIX_DURATION,
      warmup: MIX_WARMUP,
      errorBudget: 0.001,
      tags: ['mix'],
    },
    {
      name: 'mid-conn-mid-msg',
      description: "the seed's mix: medium (5K × 5/s × 1 KiB)",
      connections: 5_000,
      rate: 5,
      size: '1KiB',
      duration: MIX_DURATION,
      warmup: MIX_WARMUP,
      errorBudget: 0.001,
      tags: ['mix'],
    },
    {
      name: 'low-conn-high-msg',
      description: "the seed's mix: few connections, heavy traffic (1K × 50/s × 4 KiB)",
      connections: 1_000,
      rate: 50,
      size: '4KiB',
      duration: MIX_DURATION,
      warmup: MIX_WARMUP,
      errorBudget: 0.001,
      tags: ['mix'],
    },
    { name: 'knob-model-goroutine', target: 'gobwas:model=goroutine', ...KNOB_LOAD, tags: [...KNOB_LOAD.tags] },
    { name: 'knob-model-epoll', target: 'gobwas:model=epoll', ...KNOB_LOAD, tags: [...KNOB_LOAD.tags] },
    { name: 'knob-read-buffer-0', target: 'gobwas:read-buffer=0', ...KNOB_LOAD, tags: [...KNOB_LOAD.tags] },
    { name: 'knob-read-buffer-4k', target: 'gobwas:read-buffer=4096', ...KNOB_LOAD, tags: [...KNOB_LOAD.tags] },
    { name: 'knob-read-buffer-64k', target: 'gobwas:read-buffer=65536', ...KNOB_LOAD, tags: [...KNOB_LOAD.tags] },
    { name: 'knob-write-single', target: 'gobwas:write=single', ...KNOB_LOAD, tags: [...KNOB_LOAD.tags] },
    { name: 'knob-write-batch', target: 'gobwas:write=batch', ...KNOB_LOAD, tags: [...KNOB_LOAD.tags] },
  ],
  matrix: [
    {
      name: 'matrix',
      description: "the seed's controlled variables: connections × rate × size",
      connections: [1_000, 10_000, 50_000, 100_000],
      rate: [1, 5, 10, 50],
      size: [128, 512, '1KiB', '4KiB'],
      duration: '20s',
      warmup: '5s',
      tags: ['full'],
    },
  ],
  profiles: {
    quick: {
      description: "what a pull request runs: the seed's three mixes at 1/5 of their connections, 10 s each, 5 A/B pairs",
      scenarios: ['tag:mix'],
      connectionsScale: 0.2,
      durationScale: 1 / 3,
      pairs: 5,
    },
    full: { description: 'every scenario: the seed matrix, the mixes and the knobs', scenarios: ['*'] },
  },
};
