import type { LoadSecond, OpeningProgress } from '../driver/driver-events.js';
import type { ServerSample } from '../metrics/server-sample.js';

/** What a run tells its reporters as it goes; reporters render, the run never prints. */
export type RunEvent =
  | { type: 'stage'; stage: 'preparing' | 'starting-target' | 'opening' | 'loading' | 'draining' | 'stopping'; detail?: string }
  | { type: 'warning'; message: string }
  | { type: 'target-ready'; pid: number; url: string; commandLine: string }
  | { type: 'opening'; progress: OpeningProgress }
  | { type: 'opened'; established: number; failed: number; openMs: number }
  | { type: 'second'; second: LoadSecond; durationMs: number }
  | { type: 'server-sample'; sample: ServerSample };

export type RunListener = (event: RunEvent) => void;
