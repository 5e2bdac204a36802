import { describe, expect, it } from 'vitest';
import { renderComparisonMarkdown } from '../../src/compare/markdown-table.js';
import { interleavedSchedule } from '../../src/compare/schedule.js';
import type { TrialSummary } from '../../src/compare/trial-summary.js';
import { compareTrials } from '../../src/compare/verdict.js';

/** Five A B B A pairs; head throughput scaled by `ratio`, with a small fixed wobble so the interval has width. */
function trials(ratio: number, saturatedIndex?: number): TrialSummary[] {
  const wobble = [1, 1.004, 0.997, 1.002, 0.999, 1.003, 0.998, 1.001, 1, 0.996];
  return interleavedSchedule(5).map((arm, index) => ({
    arm,
    index,
    status: 'completed',
    achievedPerSec: 20_000 * (arm === 'b' ? ratio : 1) * (wobble[index] ?? 1),
    p50Ms: 1.2 * (wobble[9 - index] ?? 1),
    p99Ms: 4.5 * (wobble[index] ?? 1),
    errors: 0,
    attempted: 100_000,
    errorRate: 0,
    saturated: index === saturatedIndex,
    saturationReasons: index === saturatedIndex ? ['send lag p99 80 ms'] : [],
  }));
}

const render = (ratio: number, saturatedIndex?: number): string =>
  renderComparisonMarkdown(
    compareTrials({ scenario: 'echo 1 KiB', arms: { a: { spec: 'gobwas@main' }, b: { spec: 'gobwas' } }, trials: trials(ratio, saturatedIndex) }),
  );

describe('renderComparisonMarkdown', () => {
  it('puts the verdict first, as a word', () => {
    expect(render(0.8).split('\n')[0]).toBe('**FAIL**: echo 1 KiB, head `gobwas` vs base `gobwas@main`');
    expect(render(1.01).startsWith('**PASS**')).toBe(true);
  });

  it('has a header with units and one row per metric', () => {
    const markdown = render(0.8);
    expect(markdown).toContain('| metric | base (A) median | head (B) median | change (95% CI) | p | pairs | gate | verdict |');
    const rows = markdown.split('\n').filter((line) => /^\| (throughput|latency|error)/.test(line));
    expect(rows).toHaveLength(4);
    expect(rows[0]).toBe('| throughput (msg/s) | 20,000 | 15,968 | -20.1% (-20.5% to -19.6%) | <0.0001 | 5 | -5% | FAIL |');
    expect(rows[1]).toMatch(/^\| latency p50 \(ms\) \| 1\.20 \| 1\.20 \| [+-]0\.\d% .* \| 5 \| \+15% \| PASS \|$/);
    expect(rows[2]).toMatch(/^\| latency p99 \(ms\) \|/);
    expect(rows[3]).toBe('| error rate (%) | 0 | 0 | +0.000 pp | 1.000 | 5 | any rise | PASS |');
  });

  it('explains the method, the stage and what was excluded', () => {
    const markdown = render(1.01, 4);
    expect(markdown).toContain('Stage 1 of 2: 4 of 5 pairs usable, FAIL needs p < 0.0025');
    expect(markdown).toContain('paired t-test on log-ratios');
    expect(markdown).toContain('- A trial 4: the load generator saturated: send lag p99 80 ms');
    expect(markdown).toContain('- B trial 5: its partner (A, trial 4) was excluded');
  });

  it('lists why each metric that did not pass did not', () => {
    const markdown = render(0.8);
    expect(markdown).toMatch(/- throughput: FAIL, -20\.\d% \(95% CI .*, one-sided p < 0\.0001\) is significant \(p < 0\.0025\) and beyond the -5% gate/);
    expect(render(1.01)).not.toContain('- throughput:');
    expect(render(1.01)).toContain('every measured metric is within its gate over 5 pairs');
  });

  it('escapes pipes in user text so the table keeps its columns', () => {
    const markdown = renderComparisonMarkdown(
      compareTrials({ scenario: 'a|b', arms: { a: { spec: 'x' }, b: { spec: 'y' } }, trials: trials(1) }),
    );
    expect(markdown.split('\n')[0]).toContain('a\\|b');
  });
});

describe('the server-cost table', () => {
  it('shows each arm\'s median server CPU and RSS, ungated, when the trials carry them', () => {
    const withCost = trials(1).map((trial) => ({
      ...trial,
      serverCpuPercent: trial.arm === 'a' ? 20 : 30,
      serverPeakRssBytes: (trial.arm === 'a' ? 28 : 14) * 1024 * 1024,
    }));
    const markdown = renderComparisonMarkdown(compareTrials({ scenario: 'echo', arms: { a: { spec: 'gobwas:model=goroutine' }, b: { spec: 'gobwas:model=epoll' } }, trials: withCost }));
    expect(markdown).toContain('| server cost per arm (medians; the per-message and per-connection figures are gated above) | base (A) median | head (B) median | change |');
    expect(markdown).toContain('| CPU (% of one core) | 20% | 30% | +50.0% |');
    expect(markdown).toContain('| peak RSS | 28.0 MiB | 14.0 MiB | -50.0% |');
  });

  it('shows each arm\'s median cost per message and per connection, and capacity per server core', () => {
    const withCost = trials(1).map((trial) => ({
      ...trial,
      serverCpuMicrosPerMessage: trial.arm === 'a' ? 20 : 26,
      serverMemoryBytesPerConnection: 9 * 1024,
      serverAllocBytesPerMessage: trial.arm === 'a' ? 18 : 2066,
      serverAllocsPerMessage: trial.arm === 'a' ? 1 : 2,
      serverGcPer10kMessages: trial.arm === 'a' ? 0 : 4.5,
    }));
    const markdown = renderComparisonMarkdown(compareTrials({ scenario: 'echo', arms: { a: { spec: 'gobwas' }, b: { spec: 'gobwas:inject-delay-us=5' } }, trials: withCost }));
    const rows = markdown.split('\n').filter((line) => line.startsWith('| ') && markdown.indexOf('server cost') < markdown.indexOf(line));

    expect(rows.slice(0, 6)).toEqual([
      '| CPU per message | 20.0 µs | 26.0 µs | +30.0% |',
      '| capacity per server core | 50.0k/s per core | 38.5k/s per core | -23.1% |',
      '| memory per connection | 9.0 KiB | 9.0 KiB | +0.0% |',
      '| allocated bytes per message | 18 B | 2.0 KiB | +11377.8% |',
      '| allocations per message | 1.00 | 2.00 | +100.0% |',
      '| GCs per 10k messages | 0.00 | 4.50 | — |',
    ]);
  });

  it('is left out when no trial has server figures (a --url target)', () => {
    expect(render(1)).not.toContain('server cost');
  });
});
