import { describe, expect, it } from 'vitest';
import type { RampStep } from '../../src/capacity/ramp-result.js';
import { cpuMicrosPerMessage, decideVerdict, leastSquaresSlope, memoryPerConnectionBytes } from '../../src/capacity/bottleneck.js';
import type { FirstLimit, MachineFacts } from '../../src/capacity/bottleneck.js';
import { DEFAULT_STOP_CRITERIA } from '../../src/capacity/stop-criteria-options.js';
import { describeConnectErrors, detectKnee, evaluateStopCriteria } from '../../src/capacity/stop-criteria.js';

function syntheticStep(index: number, overrides: Partial<Omit<RampStep, 'server' | 'generator'>> & { server?: Partial<RampStep['server']>; generator?: Partial<RampStep['generator']> } = {}): RampStep {
  const connections = overrides.connections ?? (index + 1) * 1000;
  const { server, generator, ...rest } = overrides;
  return {
    index,
    connections,
    established: connections,
    connectAttempted: 1000,
    connectErrorsByCode: {},
    ratePerConnection: 1,
    messageBytes: 256,
    holdMs: 5000,
    offeredPerSec: connections,
    achievedPerSec: connections,
    sent: connections * 4,
    received: connections * 4,
    timedOut: 0,
    dropped: 0,
    latencyMs: { min: 0.1, p50: 0.5, p90: 1, p99: 2, p999: 3, max: 4, mean: 0.6 },
    server: { cpuPercent: 10 * (index + 1), rssBytes: 20e6 + connections * 10_000, openFds: connections + 10, goroutines: connections + 5, heapInuseBytes: 5e6, gcPauseMaxMs: 0.5, processes: 1, ...server },
    generator: { sendLagP99Ms: 1, eventLoopUtilization: 0.2, saturated: false, heapUsedBytes: connections * 3000, cpuPercent: 5, ...generator },
    stopReasons: [],
    ...rest,
  };
}

const criteria = DEFAULT_STOP_CRITERIA;
const names = (step: RampStep, previous?: RampStep, death?: { description: string }) => evaluateStopCriteria(step, previous, criteria, death).map((finding) => finding.criterion);

describe('stop criteria', () => {
  it('lets a healthy step hold', () => {
    expect(names(syntheticStep(1), syntheticStep(0))).toEqual([]);
  });

  it('stops when p99 is over the SLO, and says by how much', () => {
    const step = syntheticStep(1, { latencyMs: { min: 1, p50: 10, p90: 40, p99: 62, p999: 80, max: 90, mean: 15 } });
    const findings = evaluateStopCriteria(step, undefined, criteria);
    expect(findings.map((finding) => finding.criterion)).toEqual(['p99-over-slo']);
    expect(findings[0]!.detail).toBe('p99 62.0 ms > SLO 50.0 ms');
  });

  it('stops when achieved falls below 95% of offered', () => {
    expect(names(syntheticStep(0, { offeredPerSec: 1000, achievedPerSec: 940 }))).toEqual(['throughput']);
    expect(names(syntheticStep(0, { offeredPerSec: 1000, achievedPerSec: 960 }))).toEqual([]);
  });

  it('stops when timeouts and drops exceed the error budget', () => {
    expect(names(syntheticStep(0, { sent: 10_000, timedOut: 80, dropped: 30 }))).toEqual(['error-rate']);
    expect(names(syntheticStep(0, { sent: 10_000, timedOut: 50, dropped: 0 }))).toEqual([]);
  });

  it('names connect error codes with what they mean: EADDRINUSE is port exhaustion, EMFILE the fd limit', () => {
    const findings = evaluateStopCriteria(syntheticStep(2, { connectAttempted: 1000, connectErrorsByCode: { EMFILE: 40, EADDRINUSE: 10 } }), undefined, criteria);
    expect(findings.map((finding) => finding.criterion)).toEqual(['connect-errors']);
    expect(findings[0]!.detail).toContain('50 of 1000 new connections failed');
    expect(findings[0]!.detail).toContain('EMFILE ×40 (fd limit');
    expect(describeConnectErrors({ EADDRINUSE: 3 })).toContain('port exhaustion');
  });

  it('stops on a dead server first, whatever else fired', () => {
    const step = syntheticStep(3, { latencyMs: null, achievedPerSec: 0 });
    expect(names(step, syntheticStep(2), { description: 'killed by SIGKILL (likely the OOM killer)' })).toEqual(['server-died', 'throughput']);
  });

  it('stops on a GC pause past the bound', () => {
    expect(names(syntheticStep(0, { server: { gcPauseMaxMs: 150 } }))).toEqual(['gc-pause']);
  });

  it('stops when the generator saturated, saying the limit is the driver', () => {
    const findings = evaluateStopCriteria(syntheticStep(0, { generator: { saturated: true, saturationReasons: ['send lag p99 40 ms > 10 ms'] } }), undefined, criteria);
    expect(findings[0]!.criterion).toBe('generator-saturated');
    expect(findings[0]!.detail).toContain('the driver, not the server');
  });

  it('fires several criteria at once, most fundamental first', () => {
    const step = syntheticStep(1, { achievedPerSec: 100, latencyMs: { min: 1, p50: 100, p90: 200, p99: 400, p999: 500, max: 600, mean: 120 }, generator: { saturated: true } });
    expect(names(step, syntheticStep(0))).toEqual(['generator-saturated', 'throughput', 'p99-over-slo', 'latency-knee']);
  });

  it('honours configured thresholds', () => {
    const step = syntheticStep(0, { latencyMs: { min: 1, p50: 5, p90: 10, p99: 20, p999: 30, max: 40, mean: 6 } });
    expect(evaluateStopCriteria(step, undefined, { ...criteria, sloP99Ms: 10 }).map((finding) => finding.criterion)).toEqual(['p99-over-slo']);
  });
});

describe('knee detection', () => {
  const options = { kneeFactor: 3, kneeFloorMs: 5 };

  it('finds a knee when p99 jumps by more than the factor', () => {
    expect(detectKnee(4, 13, options)).toMatch(/3\.3× the previous step's 4\.00 ms/);
  });

  it('ignores a jump of exactly the factor or less', () => {
    expect(detectKnee(4, 12, options)).toBeUndefined();
  });

  it('ignores jumps below the noise floor', () => {
    expect(detectKnee(0.3, 1.2, options)).toBeUndefined();
  });

  it('needs a previous step', () => {
    expect(detectKnee(undefined, 100, options)).toBeUndefined();
  });

  it('ignores a jump that stays below a quarter of the SLO, and finds one that heads for it', () => {
    const withSlo = { ...options, sloP99Ms: 50 };
    expect(detectKnee(1.54, 10.9, withSlo)).toBeUndefined();
    expect(detectKnee(1.54, 13, withSlo)).toMatch(/8\.4× the previous step's 1\.54 ms/);
  });
});

const machine: MachineFacts = { cores: 2, memBytes: 24 * 1024 ** 3, nofile: 20_000 };
const held = (count: number): RampStep[] => Array.from({ length: count }, (_, index) => syntheticStep(index));
const stopped = (step: RampStep, criterion: FirstLimit['criterion'], detail = 'detail'): RampStep => ({ ...step, stopReasons: [`${criterion}: ${detail}`], stopCriteria: [criterion] });

describe('RSS slope and CPU per message', () => {
  it('fits the least-squares slope exactly on a line', () => {
    expect(leastSquaresSlope([[1000, 30e6], [2000, 40e6], [3000, 50e6]])).toBeCloseTo(10_000, 6);
  });

  it('is robust to noise around the line', () => {
    expect(leastSquaresSlope([[1000, 30.5e6], [2000, 39.5e6], [3000, 50.2e6], [4000, 59.8e6]])).toBeCloseTo(9_860, -1);
  });

  it('needs two distinct connection counts', () => {
    expect(leastSquaresSlope([[1000, 1]])).toBeNull();
    expect(leastSquaresSlope([[1000, 1], [1000, 2]])).toBeNull();
  });

  it('reports server memory per connection from the steps', () => {
    expect(memoryPerConnectionBytes(held(4))).toBeCloseTo(10_000, 6);
  });

  it('reports server CPU µs per message: CPU% × 10^4 / msg/s', () => {
    // step i: CPU 10(i+1)% at 1000(i+1) msg/s → 100 µs each
    expect(cpuMicrosPerMessage(held(3))).toBeCloseTo(100, 6);
  });
});

describe('the capacity verdict', () => {
  it('holds every step and names no bottleneck when no criterion fired', () => {
    const verdict = decideVerdict({ steps: held(3), firstLimit: null, sloP99Ms: 50, machine });
    expect(verdict.maxConnections).toBe(3000);
    expect(verdict.bottleneck).toBe('none');
    expect(verdict.summary).toMatch(/^holds 3000 connections and 3000 msg\/s at p99 ≤ 50\.0 ms; no limit reached/);
    expect(verdict.memoryPerConnectionBytes).toBeCloseTo(10_000, 6);
  });

  it('names server CPU when the server used the cores at the failing step', () => {
    const steps = [...held(2), stopped(syntheticStep(2, { server: { cpuPercent: 190 }, latencyMs: { min: 1, p50: 300, p90: 600, p99: 900, p999: 1000, max: 1100, mean: 350 } }), 'p99-over-slo', 'p99 900 ms > SLO 50.0 ms')];
    const verdict = decideVerdict({ steps, firstLimit: { criterion: 'p99-over-slo', step: 2, detail: 'p99 900 ms > SLO 50.0 ms' }, sloP99Ms: 50, machine });
    expect(verdict.bottleneck).toBe('server-cpu');
    expect(verdict.limitedBy).toBe('server');
    expect(verdict.maxConnections).toBe(2000);
    expect(verdict.summary).toContain('first limit: p99-over-slo at step 3 (3000 connections)');
    expect(verdict.evidence[0]).toMatch(/^server CPU 190% of one core/);
    expect(verdict.evidence).toContain('RSS +9.5 MiB per 1K connections');
  });

  it('names one saturated core for a single-threaded server', () => {
    const steps = [syntheticStep(0), stopped(syntheticStep(1, { server: { cpuPercent: 98 }, generator: { cpuPercent: 20 } }), 'throughput')];
    const verdict = decideVerdict({ steps, firstLimit: { criterion: 'throughput', step: 1, detail: 'x' }, sloP99Ms: 50, machine });
    expect(verdict.bottleneck).toBe('server-cpu');
    expect(verdict.evidence[0]).toContain('server CPU 98% of one core');
  });

  it('counts other processes\' CPU in what the machine had to give: a server short of 90% of the cores is still CPU-bound', () => {
    const others = { otherCpuPercent: 12, stealPercent: 0, noisy: false };
    const steps = [syntheticStep(0), stopped(syntheticStep(1, { server: { cpuPercent: 167 }, generator: { cpuPercent: 12 }, machine: others }), 'p99-over-slo')];
    const verdict = decideVerdict({ steps, firstLimit: { criterion: 'p99-over-slo', step: 1, detail: 'x' }, sloP99Ms: 50, machine });
    expect(verdict.bottleneck).toBe('server-cpu');
    expect(verdict.evidence[0]).toBe('server CPU 167% of one core (2 cores on this machine, the driver used 12%, other processes 12%)');
  });

  it('says the machine is the limit when other processes used more of it than the server', () => {
    const others = { otherCpuPercent: 130, stealPercent: 0, noisy: true };
    const steps = [syntheticStep(0), stopped(syntheticStep(1, { server: { cpuPercent: 60 }, generator: { cpuPercent: 5 }, machine: others }), 'p99-over-slo')];
    const verdict = decideVerdict({ steps, firstLimit: { criterion: 'p99-over-slo', step: 1, detail: 'x' }, sloP99Ms: 50, machine });
    expect(verdict.bottleneck).toBe('machine-cpu');
    expect(verdict.limitedBy).toBe('machine');
  });

  it('says the machine is the limit when the driver used more CPU than the server', () => {
    const steps = [syntheticStep(0), stopped(syntheticStep(1, { server: { cpuPercent: 60 }, generator: { cpuPercent: 130 } }), 'p99-over-slo')];
    const verdict = decideVerdict({ steps, firstLimit: { criterion: 'p99-over-slo', step: 1, detail: 'x' }, sloP99Ms: 50, machine });
    expect(verdict.bottleneck).toBe('machine-cpu');
    expect(verdict.summary).toContain('the limit is this machine');
  });

  it('names the fd limit from EMFILE and port exhaustion from EADDRINUSE', () => {
    const fd = [syntheticStep(0), stopped(syntheticStep(1, { connectErrorsByCode: { EMFILE: 100 } }), 'connect-errors')];
    expect(decideVerdict({ steps: fd, firstLimit: { criterion: 'connect-errors', step: 1, detail: 'x' }, sloP99Ms: 50, machine }).bottleneck).toBe('fd-limit');
    const ports = [syntheticStep(0), stopped(syntheticStep(1, { connectErrorsByCode: { EADDRINUSE: 100 } }), 'connect-errors')];
    const verdict = decideVerdict({ steps: ports, firstLimit: { criterion: 'connect-errors', step: 1, detail: 'x' }, sloP99Ms: 50, machine });
    expect(verdict.bottleneck).toBe('port-exhaustion');
    expect(verdict.limitedBy).toBe('machine');
  });

  it('says the generator is the limit, not the server', () => {
    const steps = [syntheticStep(0), stopped(syntheticStep(1, { generator: { saturated: true, sendLagP99Ms: 40 } }), 'generator-saturated')];
    const verdict = decideVerdict({ steps, firstLimit: { criterion: 'generator-saturated', step: 1, detail: 'x' }, sloP99Ms: 50, machine });
    expect(verdict.bottleneck).toBe('generator');
    expect(verdict.summary).toContain('the limit is the load generator, not the server');
  });

  it('blames the server, not the generator, when the server took the machine\'s cores and the driver waited for CPU', () => {
    const steps = [syntheticStep(0), stopped(syntheticStep(1, { server: { cpuPercent: 170 }, generator: { saturated: true, sendLagP99Ms: 40, cpuPercent: 20 } }), 'generator-saturated')];
    const verdict = decideVerdict({ steps, firstLimit: { criterion: 'generator-saturated', step: 1, detail: 'x' }, sloP99Ms: 50, machine });
    expect(verdict.bottleneck).toBe('server-cpu');
    expect(verdict.limitedBy).toBe('server');
    expect(verdict.evidence[0]).toMatch(/^server CPU 170% of one core \(2 cores on this machine, the driver used 20%\): the server took the machine's CPU/);
  });

  it('says the machine\'s cores are the limit when the driver and the server together used them (100K on 2 cores)', () => {
    // As measured: 100,000 connections × 0.1 msg/s, the driver's 6 workers 110% of a core, the server's 6 processes 72%.
    const steps = [syntheticStep(0), stopped(syntheticStep(1, { server: { cpuPercent: 72 }, generator: { saturated: true, sendLagP99Ms: 21, cpuPercent: 110 } }), 'generator-saturated')];
    const verdict = decideVerdict({ steps, firstLimit: { criterion: 'generator-saturated', step: 1, detail: 'x' }, sloP99Ms: 50, machine });
    expect(verdict.bottleneck).toBe('machine-cpu');
    expect(verdict.limitedBy).toBe('machine');
    expect(verdict.evidence[0]).toBe("server CPU 72% of one core (2 cores on this machine, the driver used 110%): together they used the machine's cores, so more driver workers cannot help; run the generator on other hosts (wsbench run --shard I/K, docs/kubernetes.md) or lower the offered load");
  });

  it('blames a busy machine, not the generator, when other processes took the CPU the driver waited for', () => {
    const busy = { otherCpuPercent: 97, stealPercent: 0, noisy: true };
    const steps = [syntheticStep(0), stopped(syntheticStep(1, { generator: { saturated: true, sendLagP99Ms: 40 }, machine: busy }), 'generator-saturated')];
    const verdict = decideVerdict({ steps, firstLimit: { criterion: 'generator-saturated', step: 1, detail: 'x' }, sloP99Ms: 50, machine });
    expect(verdict.bottleneck).toBe('machine-cpu');
    expect(verdict.limitedBy).toBe('machine');
    expect(verdict.evidence[0]).toBe('the machine was busy: other processes used 97% of a core during this step, so the driver and the server waited for CPU; run again on a quieter machine');
    expect(verdict.summary).toContain('the limit is this machine (shared by server and driver), not the server alone');
  });

  it('keeps the server as the limit on a busy machine when the server ran out of CPU, but says the machine was busy', () => {
    const busy = { otherCpuPercent: 60, stealPercent: 0, noisy: true };
    const steps = [syntheticStep(0), stopped(syntheticStep(1, { server: { cpuPercent: 190 }, machine: busy }), 'p99-over-slo')];
    const verdict = decideVerdict({ steps, firstLimit: { criterion: 'p99-over-slo', step: 1, detail: 'x' }, sloP99Ms: 50, machine });
    expect(verdict.bottleneck).toBe('server-cpu');
    expect(verdict.evidence[0]).toMatch(/^the machine was busy: other processes used 60% of a core/);
  });

  it('names GC pauses', () => {
    const steps = [syntheticStep(0), stopped(syntheticStep(1, { server: { gcPauseMaxMs: 180 } }), 'gc-pause')];
    expect(decideVerdict({ steps, firstLimit: { criterion: 'gc-pause', step: 1, detail: 'x' }, sloP99Ms: 50, machine }).bottleneck).toBe('gc');
  });

  it('says a SIGKILLed server was likely OOM-killed, honestly', () => {
    const steps = [syntheticStep(0), stopped(syntheticStep(1, { server: { rssBytes: 22 * 1024 ** 3 } }), 'server-died')];
    const verdict = decideVerdict({ steps, firstLimit: { criterion: 'server-died', step: 1, detail: 'x', exit: { signal: 'SIGKILL', description: 'killed by SIGKILL' } }, sloP99Ms: 50, machine });
    expect(verdict.bottleneck).toBe('server-memory');
    expect(verdict.evidence[0]).toContain('killed by SIGKILL (likely the OOM killer');
    expect(verdict.maxConnections).toBe(1000);
  });

  it('holds no step when the first one failed', () => {
    const steps = [stopped(syntheticStep(0, { server: { cpuPercent: 5 } }), 'error-rate')];
    const verdict = decideVerdict({ steps, firstLimit: { criterion: 'error-rate', step: 0, detail: 'x' }, sloP99Ms: 50, machine });
    expect(verdict.maxConnections).toBeNull();
    expect(verdict.bottleneck).toBe('errors');
    expect(verdict.summary).toMatch(/^holds no step; first limit: error-rate at step 1/);
  });
});
