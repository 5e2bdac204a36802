import type { LoadSecond, OpeningProgress } from '../driver/driver-events.js';
import type { ServerSample } from '../metrics/server-sample.js';
import type { RampStep } from '../capacity/ramp-result.js';
import type { LimitProbe } from '../capacity/limit-result.js';

/** What a run tells its reporters as it goes; reporters render, the run never prints. */
export type RunEvent =
  | { type: 'stage'; stage: 'preparing' | 'starting-target' | 'opening' | 'loading' | 'draining' | 'stopping'; detail?: string }
  | { type: 'warning'; message: string }
  /** `metricsUrl`: the target's Prometheus `/metrics` address, when it serves one (for `/sd` of the metrics exporter). */
  | { type: 'target-ready'; pid: number; url: string; commandLine: string; metricsUrl?: string }
  | { type: 'opening'; progress: OpeningProgress }
  | { type: 'opened'; established: number; failed: number; openMs: number }
  | { type: 'second'; second: LoadSecond; durationMs: number }
  | { type: 'server-sample'; sample: ServerSample }
  /** A ramp step begins: `index` from 0, of `total` planned (fewer when a stop criterion fires). */
  | { type: 'ramp-step'; index: number; total: number; connections: number }
  | { type: 'ramp-step-done'; step: RampStep; total: number }
  /** A limit-search probe begins / ends. */
  | { type: 'limit-probe'; index: number; maxProbes: number; ratePerConnection: number; connections: number }
  | { type: 'limit-probe-done'; probe: LimitProbe; maxProbes: number };

export type RunListener = (event: RunEvent) => void;
