import type { LoadSecond, OpeningProgress } from '../driver/driver-events.js';
import type { ServerSample } from '../metrics/server-sample.js';

/** What a run tells its reporters as it goes; reporters render, the run never prints. */
export type RunEvent =
  | { type: 'stage'; stage: 'preparing' | 'starting-target' | 'opening' | 'waiting' | 'loading' | 'stopping'; detail?: string }
  | { type: 'warning'; message: string }
  /** `metricsUrl`: the target's Prometheus `/metrics` address, when it serves one (for `/sd` of the metrics exporter). */
  | { type: 'target-ready'; pid: number; url: string; commandLine: string; metricsUrl?: string }
  | { type: 'opening'; progress: OpeningProgress }
  | { type: 'opened'; established: number; failed: number; openMs: number }
  | { type: 'second'; second: LoadSecond; durationMs: number }
  | { type: 'server-sample'; sample: ServerSample };

export type RunListener = (event: RunEvent) => void;
