import { LoadDriver } from '../driver/load-driver.js';
import type { DriverEvents } from '../driver/driver-events.js';
import type { DriverOptions, OpenSummary, PhaseOptions, PhaseSummary } from '../driver/load-driver.js';
import { describeEnvironment } from '../metrics/environment.js';
import { watchMachineLoad } from '../metrics/machine-load.js';
import type { MachineLoadWatch } from '../metrics/machine-load.js';
import type { EnvironmentInfo } from '../metrics/environment.js';
import { createServerCostMeter } from '../metrics/server-cost-meter.js';
import type { ServerCostMeter, ServerCostMeterOptions } from '../metrics/server-cost-meter.js';
import { createServerSampler } from '../metrics/server-sampler.js';
import type { ServerSampler, ServerSamplerOptions } from '../metrics/server-sampler.js';
import { readTcpCounters } from '../metrics/tcp-counters.js';
import type { TcpCounterFiles, TcpCounters } from '../metrics/tcp-counters.js';
import { readMachineLimits } from '../plan/preflight.js';
import type { MachineLimits } from '../plan/preflight.js';
import { startTarget } from '../targets/target-process.js';
import { usedSubnetsOnHost } from '../targets/target-namespace.js';
import type { RunningTarget, StartTargetOptions } from '../targets/target-process.js';
import { readGitInfo } from './git-info.js';
import type { GitInfo } from './git-info.js';

/** What a session needs from the driver: `LoadDriver`, or a fake in tests. */
export interface SessionDriver {
  on<K extends keyof DriverEvents & string>(event: K, listener: (...args: DriverEvents[K]) => void): unknown;
  open(connections: number): Promise<OpenSummary>;
  runPhase(phase: PhaseOptions): Promise<PhaseSummary>;
  /** Stops sending at once; the running phase resolves after a short drain. */
  interrupt(): void;
  close(): Promise<void>;
}

/**
 * Everything a measurement session reaches outside the process for: the seams tests replace with fakes
 * (a target that is not started, a driver that opens no socket, a machine with known limits), so the
 * decisions above the session (ramp, limit, compare, bench) are tested in milliseconds.
 */
export interface SessionDeps {
  startTarget: (options: StartTargetOptions) => Promise<RunningTarget>;
  createDriver: (options: DriverOptions) => SessionDriver;
  createSampler: (options: ServerSamplerOptions) => ServerSampler;
  createCostMeter: (options: ServerCostMeterOptions) => ServerCostMeter;
  readMachineLimits: () => MachineLimits;
  readGitInfo: () => Promise<GitInfo>;
  describeEnvironment: (toolVersion: string) => EnvironmentInfo;
  /** This namespace's counters, or those of `files` (a target's own namespace). */
  readTcpCounters: (files?: TcpCounterFiles) => TcpCounters | null;
  /** Third octets of 10.251.X.0/24 on this host's interfaces, so a target namespace picks a free /24. */
  usedNamespaceSubnets: () => ReadonlySet<number>;
  /** Who else uses the CPU (other processes, the hypervisor's steal) from now until `stop()`. */
  watchMachineLoad: () => MachineLoadWatch;
}

export const DEFAULT_SESSION_DEPS: SessionDeps = {
  startTarget,
  createDriver: (options) => new LoadDriver(options),
  createSampler: createServerSampler,
  createCostMeter: createServerCostMeter,
  readMachineLimits: () => readMachineLimits(),
  readGitInfo: () => readGitInfo(),
  describeEnvironment: (toolVersion) => describeEnvironment(toolVersion),
  readTcpCounters: (files) => readTcpCounters(files),
  usedNamespaceSubnets: () => usedSubnetsOnHost(),
  watchMachineLoad: () => watchMachineLoad(),
};
