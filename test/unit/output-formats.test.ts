import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPARE_USAGE } from '../../src/cli/commands/compare-command.js';
import { LIMIT_USAGE } from '../../src/cli/commands/limit-command.js';
import { MERGE_USAGE } from '../../src/cli/commands/merge-command.js';
import { RAMP_USAGE } from '../../src/cli/commands/ramp-command.js';
import { REPORT_USAGE } from '../../src/cli/commands/report-command.js';
import { RUN_USAGE } from '../../src/cli/commands/run-command.js';
import { OUTPUT_FORMATS } from '../../src/report/output-formats.js';
import { checkResultOutputs, writeResultOutputs } from '../../src/report/result-outputs.js';
import { runLimit } from '../../src/capacity/limit.js';
import { fakeWorld } from '../support/fake-session.js';
import { FAKE_SPEC, fakeDefinition } from '../support/fake-targets.js';

describe('output formats are listed once (report/output-formats.ts)', () => {
  it('gives every command that writes reports a --FORMAT FILE flag for each format', () => {
    for (const usage of [RUN_USAGE, RAMP_USAGE, LIMIT_USAGE, COMPARE_USAGE, MERGE_USAGE, REPORT_USAGE]) {
      for (const format of OUTPUT_FORMATS) expect(usage).toMatch(new RegExp(`^  --${format.name} FILE `, 'm'));
    }
  });

  it('checks each format\'s path before any load and writes what its renderer returns', async () => {
    expect(() => checkResultOutputs({ md: '/proc/report.md' })).toThrow(/--md .*\/proc/);
    const world = fakeWorld(() => ({ latencyMs: () => ({ p50: 1, p99: 2 }), capacityPerSec: 5000 }));
    const { result } = await runLimit({ target: FAKE_SPEC, connections: 10, messageBytes: 64, holdMs: 1000, maxProbes: 2, settleMs: 0 }, { definition: fakeDefinition(), deps: world.deps });
    const dir = mkdtempSync(path.join(tmpdir(), 'wsbench-formats-'));
    const paths = Object.fromEntries(OUTPUT_FORMATS.map((format) => [format.name, path.join(dir, `limit.${format.name}`)]));
    const { written, failure } = writeResultOutputs(result, paths);
    expect(failure).toBeUndefined();
    expect(written).toEqual(Object.values(paths));
    for (const format of OUTPUT_FORMATS) expect(readFileSync(paths[format.name]!, 'utf8')).toBe(format.render(result));
  });
});
