import type { MachineLimits } from '../../src/plan/preflight.js';

export const GiB = 1024 ** 3;

/** The measured facts of the 2-core machine these tests were written for (and CI runs on). */
export const MACHINE: MachineLimits = {
  nofileSoft: 20_000,
  nofileHard: 20_000,
  portRangeLow: 32_768,
  portRangeHigh: 60_999,
  somaxconn: 4096,
  totalMemoryBytes: 24 * GiB,
  freeMemoryBytes: 20 * GiB,
  cores: 2,
};
