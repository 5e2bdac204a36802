import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { formatCpuList } from '../cpu-pin.js';
import type { CpuPin } from '../cpu-pin.js';
import { workerV8FlagsForScheduling } from './loop-priority.js';
import type { CoordinatorMessage, WorkerMessage } from './worker-protocol.js';

/** How long a worker has to exit after `close` before it is killed. */
export const WORKER_EXIT_GRACE_MS = 2000;

/**
 * A worker holding this many connections or more runs with a small young generation. At 0.1 msg/s each
 * connection leaves a few hundred bytes of stream state per message that live until its next message,
 * seconds later; with V8's default (up to 16 MiB) each scavenge copies megabytes of it at once, a 10–100 ms
 * stall on a shared core. 4 MiB means scavenges 4× as often and 4× as short. With few connections the
 * default stays: at high rates it scavenges less often, which is cheaper per message.
 */
export const MANY_CONNECTIONS_PER_WORKER = 5000;
export const MANY_CONNECTIONS_SEMI_SPACE_MIB = 4;

/** V8 flags for a worker that will hold `connections` (WSBENCH_WORKER_EXEC_ARGV comes later, so it wins). */
export function workerHeapFlags(connections: number): string[] {
  return connections >= MANY_CONNECTIONS_PER_WORKER ? [`--max-semi-space-size=${MANY_CONNECTIONS_SEMI_SPACE_MIB}`] : [];
}

/** The worker entry beside this module: compiled `.js` normally, `.ts` under the test runner (run through tsx). */
function workerEntry(heapFlags: readonly string[]): { path: string; execArgv: string[] } {
  const ownUrl = import.meta.url;
  const runningFromSource = ownUrl.endsWith('.ts');
  const entry = new URL(runningFromSource ? './worker-main.ts' : './worker-main.js', ownUrl);
  return {
    path: fileURLToPath(entry),
    // WSBENCH_WORKER_EXEC_ARGV adds Node flags to the workers only, e.g. `--cpu-prof` to profile the driver.
    execArgv: [
      ...(runningFromSource ? ['--import', 'tsx'] : []),
      '--expose-gc',
      ...heapFlags,
      ...workerV8FlagsForScheduling(),
      ...(process.env.WSBENCH_WORKER_EXEC_ARGV?.split(/\s+/).filter(Boolean) ?? []),
    ],
  };
}

/** One forked worker: typed send, typed messages, and an exit that is always observed. */
export class WorkerProcess {
  readonly index: number;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private closing = false;

  constructor(index: number, onMessage: (message: WorkerMessage) => void, pin?: CpuPin, expectedConnections = 0) {
    this.index = index;
    const entry = workerEntry(workerHeapFlags(expectedConnections));
    // Pinned, fork runs `taskset -c LIST node …`: taskset execs Node with the IPC channel inherited, so
    // the worker (same PID) and every thread it starts stay on those CPUs.
    const launch = pin === undefined ? { execArgv: entry.execArgv } : { execPath: pin.taskset, execArgv: ['-c', formatCpuList(pin.cpus), process.execPath, ...entry.execArgv] };
    this.child = fork(entry.path, [], { ...launch, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message) => onMessage(message as WorkerMessage));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  send(message: CoordinatorMessage): void {
    if (this.child.connected) this.child.send(message);
  }

  /** Asks the worker to close its connections and exit; kills it if it has not within the grace period. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.send({ type: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), WORKER_EXIT_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** Last resort, synchronous: used from the process `exit` hook. */
  killNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
