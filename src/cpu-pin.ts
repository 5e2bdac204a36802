/**
 * Running a process on chosen CPUs with `taskset -c LIST command args…` (util-linux): the affinity is set
 * before the command's first instruction, so every thread and child it starts inherits it (a Go server
 * also sizes GOMAXPROCS from it). Shared by the target starter and the driver's worker processes.
 */
export interface CpuPin {
  /** Path of the taskset binary. */
  taskset: string;
  cpus: readonly number[];
}

/** Where the target and the driver's workers run when a comparison pins them apart. */
export interface CpuPinning {
  target: CpuPin;
  driver: CpuPin;
}

/** `0,1,3` in the form taskset and /proc's Cpus_allowed_list read. */
export function formatCpuList(cpus: readonly number[]): string {
  return cpus.join(',');
}

/** The command and arguments that run `command` pinned (unchanged without a pin). */
export function pinnedCommand(pin: CpuPin | undefined, command: string, args: readonly string[]): { command: string; args: string[] } {
  if (pin === undefined) return { command, args: [...args] };
  return { command: pin.taskset, args: ['-c', formatCpuList(pin.cpus), command, ...args] };
}

/** One line for reports: where the target and the driver ran. */
export function describePinning(pinning: CpuPinning | undefined): string {
  if (pinning === undefined) return 'target and driver not pinned (they shared every core)';
  return `target pinned to CPU ${formatCpuList(pinning.target.cpus)}, driver workers to CPU ${formatCpuList(pinning.driver.cpus)} (taskset)`;
}
