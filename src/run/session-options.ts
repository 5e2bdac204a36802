import type { CpuPinning } from '../cpu-pin.js';
import type { HandshakeOptions } from '../driver/handshake-options.js';
import type { PhaseOptions, PhaseSummary } from '../driver/load-driver.js';
import type { WsbenchError } from '../errors.js';
import type { SessionPlanRequest } from './plan-session.js';
import type { RunListener } from './run-events.js';
import type { SessionDeps } from './session-deps.js';
import type { JudgedMachineLoad } from '../metrics/machine-load.js';

/** What a MeasurementSession is opened with, asked for per phase, and gives back per phase. */
export interface SessionOptions extends SessionPlanRequest {
  signal?: AbortSignal | undefined;
  emit: RunListener;
  /** Headers, subprotocol, TLS and compression of every connection's upgrade. @default DEFAULT_HANDSHAKE */
  handshake?: HandshakeOptions | undefined;
  /** Run the target and the driver's workers on separate CPUs (compare, bench); absent: anywhere. */
  pinning?: CpuPinning | undefined;
  /** A `--url` server the user named (`--server-pid`, `--server-metrics`): sampled and costed like a managed target. */
  watchedServer?: { pid: number; metricsUrl?: string; metricsCoverTree: boolean } | undefined;
  /** Replacements for the target starter, the driver factory, the machine's limits (tests). */
  deps?: Partial<SessionDeps> | undefined;
}

export interface PhaseRequest extends PhaseOptions {
  /** Names the phase in the watchdog's error: "Step 3 (3000 connections)". */
  label: string;
  /** For the `loading` stage event. */
  detail?: string;
  /** Tell the driver to stop after this long (the driver fell behind its schedule); `overran` says it did. */
  overrunAfterMs?: number;
}

export interface MeasuredPhase {
  /** What the driver measured, also when the phase was cut short; undefined when it reported nothing. */
  phase: PhaseSummary | undefined;
  /** Why the phase ended early: the target died (`TargetDiedError`), Ctrl-C, a watchdog. */
  stoppedBy: WsbenchError | undefined;
  /** The driver was stopped for overrunning `overrunAfterMs`. */
  overran: boolean;
  /** Start of the measured window (after warm-up) on the session clock, for picking server samples. */
  windowFromMs: number;
  /** CPU other processes used while the phase ran (null: /proc unreadable, or no phase ran). */
  machineLoad: JudgedMachineLoad | null;
}

