import { setTimeout as sleep } from 'node:timers/promises';
import type { WsbenchError } from '../errors.js';
import { WorkerLostError } from '../driver/load-driver.js';
import type { PhaseSummary } from '../driver/load-driver.js';
import type { RunningTarget } from '../targets/target-process.js';
import { asWsbenchError } from './session-errors.js';
import type { MeasuredPhase, PhaseRequest } from './session-options.js';
import type { SessionDriver } from './session-deps.js';
import { watchdog } from './watchdog.js';
import { judgeMachineLoad } from '../metrics/machine-load.js';
import type { MachineLoadWatch } from '../metrics/machine-load.js';

/** Slack on top of a phase's duration and message timeout before it counts as stuck. */
export const PHASE_WATCHDOG_SLACK_MS = 30_000;
/** How long to wait for the exit of a target seen dead just as a phase ended, so it counts for that phase. */
const LATE_DEATH_GRACE_MS = 100;

interface PhaseContext {
  driver: SessionDriver;
  /** Rejects when the target dies by itself or the run is interrupted. */
  broken: Promise<never>;
  target: RunningTarget | undefined;
  /** Start of the measured window (after warm-up) on the session clock. */
  windowFromMs: number;
  watchMachineLoad: () => MachineLoadWatch;
}

/**
 * One phase of paced load on every open connection. Never throws for the ways a phase ends early (the
 * target died, Ctrl-C, a watchdog): it keeps what the workers measured until then and says why in `stoppedBy`.
 */
export async function runMeasuredPhase(request: PhaseRequest, { driver, broken, target, windowFromMs, watchMachineLoad }: PhaseContext): Promise<MeasuredPhase> {
  const { label, detail: _detail, overrunAfterMs, ...phaseOptions } = request;
  // Who else used the CPU meanwhile: a phase on a busy machine says so (run, ramp steps, limit probes alike).
  const machineWatch = watchMachineLoad();
  const phaseRun = driver.runPhase(phaseOptions);
  let overran = false;
  const overrun = overrunAfterMs === undefined ? undefined : setTimeout(() => ((overran = true), driver.interrupt()), overrunAfterMs);
  const stuckAfterMs = (overrunAfterMs ?? phaseOptions.durationMs + (phaseOptions.messageTimeoutMs ?? 5_000)) + PHASE_WATCHDOG_SLACK_MS;
  const guard = watchdog(stuckAfterMs, label);
  let phase: PhaseSummary | undefined;
  let stoppedBy: WsbenchError | undefined;
  try {
    phase = await Promise.race([phaseRun, broken, guard.promise]);
    // A target that died in the last moments of the phase still died during it.
    if (target?.hasExited === true) await Promise.race([broken, sleep(LATE_DEATH_GRACE_MS)]);
  } catch (error) {
    stoppedBy = asWsbenchError(error);
    // The workers were told to stop: keep what they measured (unless they are stuck too).
    // A worker that died still leaves the survivors' measurements (WorkerLostError.partial).
    phase ??= await Promise.race([phaseRun.catch((lost: unknown) => (lost instanceof WorkerLostError ? lost.partial : undefined)), guard.promise.catch(() => undefined)]);
  } finally {
    clearTimeout(overrun);
    guard.cancel();
  }
  // The generator's settling time is excluded like the warm-up, from the server's figures too.
  return { phase, stoppedBy, overran, windowFromMs: windowFromMs + (phase?.settleMs ?? 0), machineLoad: judgeMachineLoad(machineWatch.stop()) };
}
