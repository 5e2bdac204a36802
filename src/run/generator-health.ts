/**
 * When is the load generator itself the bottleneck? A late send means the schedule slipped (the offered
 * load was not offered); a busy event loop means echoes wait in the driver's queue and RTT includes the
 * driver's own delay. Past either threshold the run's latencies describe the driver, not the server.
 */
export const DEFAULT_SATURATION_SEND_LAG_P99_MS = 10;
export const DEFAULT_SATURATION_EVENT_LOOP_UTILIZATION = 0.9;

export interface GeneratorHealth {
  sendLagP99Ms: number;
  eventLoopUtilization: number;
  workers: number;
}

export interface SaturationThresholds {
  sendLagP99Ms: number;
  eventLoopUtilization: number;
}

export const DEFAULT_SATURATION_THRESHOLDS: SaturationThresholds = {
  sendLagP99Ms: DEFAULT_SATURATION_SEND_LAG_P99_MS,
  eventLoopUtilization: DEFAULT_SATURATION_EVENT_LOOP_UTILIZATION,
};

/** The reasons the generator counts as saturated, each with its numbers and what to change; empty when healthy. */
export function saturationReasons(health: GeneratorHealth, thresholds: SaturationThresholds = DEFAULT_SATURATION_THRESHOLDS): string[] {
  const reasons: string[] = [];
  const advice = `the driver cannot keep this schedule: add --workers (now ${health.workers}), pin the target to another core (taskset), or lower the offered load`;
  if (health.sendLagP99Ms > thresholds.sendLagP99Ms) {
    reasons.push(`send lag p99 ${health.sendLagP99Ms.toFixed(2)} ms > ${thresholds.sendLagP99Ms} ms: ${advice}`);
  }
  if (health.eventLoopUtilization > thresholds.eventLoopUtilization) {
    reasons.push(`event-loop utilization ${(health.eventLoopUtilization * 100).toFixed(0)}% > ${thresholds.eventLoopUtilization * 100}% in the busiest worker: ${advice}`);
  }
  return reasons;
}

/** The driver's CPU over a phase in percent of one core (its CPU per echo × echoes per second); null without echoes. */
export function driverCpuPercent(phase: { cpuMicrosPerEcho: number; achievedPerSec: number } | undefined): number | null {
  return phase === undefined || !Number.isFinite(phase.cpuMicrosPerEcho) ? null : (phase.cpuMicrosPerEcho * phase.achievedPerSec) / 10_000;
}
