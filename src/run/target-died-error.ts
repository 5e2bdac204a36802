import { InfrastructureError } from '../errors.js';
import { describeExit, LOG_TAIL_LINES } from '../targets/target-process.js';
import type { RunningTarget, TargetExit } from '../targets/target-process.js';

/** What a SIGKILL nobody here sent most likely was; said as a likelihood, since dmesg is not readable to confirm. */
export const OOM_HINT = 'likely the OOM killer';

/** "killed by SIGKILL (likely the OOM killer)": how a death reads in results and stop reasons. */
export function describeDeath(exit: TargetExit): string {
  return `${describeExit(exit)}${exit.signal === 'SIGKILL' ? ` (${OOM_HINT})` : ''}`;
}

/**
 * The server under test exited by itself during a measurement. A run fails with it (exit 3); a ramp or
 * a limit search records it as its finding.
 */
export class TargetDiedError extends InfrastructureError {
  readonly exit: TargetExit;

  constructor(target: RunningTarget, exit: TargetExit) {
    super('TARGET_CRASHED', `The target (pid ${target.pid}) exited during the run (${describeDeath(exit)}): \`${target.commandLine}\``, {
      logTail: target.logTail.last(LOG_TAIL_LINES),
    });
    this.exit = exit;
  }
}
