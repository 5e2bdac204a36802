/**
 * The regression suite: each scenario of a profile is one test case that builds and starts the target,
 * drives the load, writes its result, and asserts that the error budget held, the generator did not
 * saturate, and the verdict against the baseline is not FAIL. It imports the built package (`npm run bench`
 * builds first), as a user's suite would, not the sources through the test runner.
 *
 *   WSBENCH_PROFILE      quick (default) or full
 *   WSBENCH_SCENARIO     a glob over scenario names
 *   WSBENCH_BASELINE_REF A/B in this job against the target at this git ref. Default: the newest recorded
 *                        baseline in baselines/ for this machine and load, else A/B against HEAD when the
 *                        working tree has changes ("did my change make it slower?"), else against HEAD~1
 *                        ("did the last commit?")
 *   WSBENCH_OUT          where each scenario's JSON and HTML go (default results/bench)
 *   WSBENCH_NO_PIN=1     run the target and the driver unpinned (default: pinned apart with taskset, as
 *                        `wsbench bench` and `wsbench baseline record` do, so stored baselines match)
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchScenario, decideCpuPinning, selectScenarios, writeJsonFile, writeReports } from 'wsbench';
import type { BaselineMode, BenchOutcome } from 'wsbench';
import { simpleGit } from 'simple-git';

const profile = process.env.WSBENCH_PROFILE ?? 'quick';
const outDir = process.env.WSBENCH_OUT ?? path.join('results', 'bench');
const { loaded, scenarios } = await selectScenarios({ profile, ...(process.env.WSBENCH_SCENARIO === undefined ? {} : { glob: process.env.WSBENCH_SCENARIO }) });
const mode = await chooseBaselineMode();
// Pinned like `wsbench baseline record`: a stored baseline is used only for a run pinned the same way.
const pinning = decideCpuPinning(process.env.WSBENCH_NO_PIN !== '1');

async function chooseBaselineMode(): Promise<BaselineMode> {
  if (process.env.WSBENCH_BASELINE_REF !== undefined) return { kind: 'ref', ref: process.env.WSBENCH_BASELINE_REF };
  const dirty = await simpleGit().status().then((status) => !status.isClean(), () => false);
  return { kind: 'stored', dir: 'baselines', fallbackRef: dirty ? 'HEAD' : 'HEAD~1' };
}

function record(outcome: BenchOutcome): void {
  const report = outcome.comparison ?? outcome.run;
  if (report === undefined) return;
  writeJsonFile(path.join(outDir, `${outcome.scenario}.json`), report);
  writeReports(report, { html: path.join(outDir, `${outcome.scenario}.html`) });
}

describe(`wsbench ${profile} profile (${mode.kind === 'ref' ? `A/B against ${mode.ref}` : mode.kind === 'stored' ? `against recorded baselines, else A/B against ${mode.fallbackRef}` : 'no baseline'}; ${pinning.pinned ? pinning.description : pinning.reason})`, () => {
  for (const planned of scenarios) {
    if (planned.skipReason !== undefined) {
      it.skip(`${planned.name} — skipped: ${planned.skipReason}`, () => {});
      continue;
    }
    it(`${planned.name}: ${planned.options.connections} connections × ${planned.options.ratePerConnection} msg/s × ${planned.options.messageBytes} B`, async (context) => {
      const outcome = await benchScenario(planned, { targets: loaded.targets, mode, ...(pinning.pinned ? { pinning: pinning.pinning } : {}) });
      record(outcome);
      context.annotate(`${outcome.verdict}: ${outcome.message}`);
      console.log(`${planned.name}: ${outcome.verdict} — ${outcome.message}`);
      for (const warning of outcome.warnings) console.log(`${planned.name}: warning ${warning}`);
      expect(outcome.failure?.message, 'the scenario ran to the end').toBeUndefined();
      expect(outcome.generatorSaturated, 'the load generator kept its schedule (else the latencies are the driver\'s)').toBe(false);
      if (outcome.errorBudgetHeld !== null) expect(outcome.errorBudgetHeld, 'error budget held').toBe(true);
      expect(outcome.verdict, outcome.message).not.toBe('FAIL');
    });
  }
});
