import { existsSync } from 'node:fs';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { InfrastructureError, UsageError } from '../errors.js';
import { pinnedCommand } from '../cpu-pin.js';
import type { CpuPin } from '../cpu-pin.js';
import { findExecutable } from './find-executable.js';
import { LogTail } from './log-tail.js';
import { findFreePort, isAccepting } from './free-port.js';
import { fillPlaceholders, knobArguments } from './target-definition.js';
import type { TargetDefinition } from './target-definition.js';
import { commandInNamespace, createTargetNamespace, removeTargetNamespace } from './target-namespace.js';
import type { TargetNamespacePlan } from './target-namespace-plan.js';

export const DEFAULT_READY_TIMEOUT_MS = 30_000;
/** SIGTERM first; a server still up after this long gets SIGKILL. */
export const DEFAULT_STOP_GRACE_MS = 5_000;
const READY_POLL_MS = 50;
export const LOG_TAIL_LINES = 20;
const TARGET_HOST = '127.0.0.1';

export interface TargetExit {
  exitCode: number | null;
  signal: string | null;
  /** True when wsbench stopped it; false when it exited on its own (a crash, as far as a run is concerned). */
  stoppedByUs: boolean;
}

export interface StartTargetOptions {
  definition: TargetDefinition;
  knobs: Record<string, string>;
  /** Run the target on these CPUs only (taskset), so it does not share them with the driver. */
  pin?: CpuPin;
  /** Fixed port; by default a free one is chosen so every trial gets a fresh server. */
  port?: number;
  readyTimeoutMs?: number;
  /** Run the target in this network namespace (made here, removed when it stops or fails to start). */
  namespace?: TargetNamespacePlan;
}

/** A started, ready server under test. */
export interface RunningTarget {
  pid: number;
  url: string;
  metricsUrl: string | undefined;
  /** The command line, for reports and for reproducing the run by hand. */
  commandLine: string;
  logTail: LogTail;
  /** The network namespace it runs in (its own, with the knobs' sysctls), when it has one. */
  namespace?: TargetNamespacePlan;
  /** Settles when the process exits, for whatever reason. */
  exited: Promise<TargetExit>;
  readonly hasExited: boolean;
  /** SIGTERM to the process group, SIGKILL after the grace period; resolves once it is gone. */
  stop(graceMs?: number): Promise<TargetExit>;
}

/**
 * Starts a target in its own process group (so Ctrl-C reaches wsbench alone and wsbench decides how the
 * run ends, and so stopping it takes its children too), then waits until its port accepts connections
 * and, when the definition has one, its ready line has appeared.
 */
/** util-linux `setpriv`: sets PR_SET_PDEATHSIG, then execs the target (same pid), so it cannot outlive wsbench. */
const PDEATHSIG_WRAPPER = process.platform === 'linux' ? ['/usr/bin/setpriv', '/bin/setpriv'].find((candidate) => existsSync(candidate)) : undefined;

export async function startTarget(options: StartTargetOptions): Promise<RunningTarget> {
  const { namespace } = options;
  if (namespace === undefined) return startTargetProcess(options, TARGET_HOST);
  await createTargetNamespace(namespace);
  try {
    const target = await startTargetProcess(options, namespace.targetAddress);
    const stopProcess = target.stop;
    // The namespace goes once its server is gone, however the run ends (a crash too: the session stops it).
    target.stop = async (graceMs) => {
      const exit = await stopProcess(graceMs);
      await removeTargetNamespace(namespace.name);
      return exit;
    };
    return target;
  } catch (error) {
    await removeTargetNamespace(namespace.name);
    throw error;
  }
}

async function startTargetProcess(options: StartTargetOptions, host: string): Promise<RunningTarget> {
  const { definition, namespace } = options;
  const knobArgs = knobArguments(definition, options.knobs);
  // A fresh namespace has every port free; on the host, pick free ones.
  const port = options.port ?? (await findFreePort(TARGET_HOST));
  const metricsPort = definition.servesMetrics ? await findFreePort(TARGET_HOST) : undefined;
  const metricsAddr = metricsPort === undefined ? undefined : `${host}:${metricsPort}`;
  if (namespace === undefined && (await isAccepting(host, port))) {
    throw new UsageError('PORT_IN_USE', `Port ${port} on ${host} is already in use by another process; stop it or choose another port for target ${definition.name}`);
  }
  const command = definition.prepare === undefined ? definition.command : await definition.prepare();
  const args = [...fillPlaceholders(definition.args, { port, host, metricsAddr }), ...knobArgs];
  const pinned = pinnedCommand(options.pin, command, args);
  const launch = namespace === undefined ? pinned : commandInNamespace(namespace, pinned.command, pinned.args);
  const commandLine = [launch.command, ...launch.args].map(quoteArgument).join(' ');

  const logTail = new LogTail();
  let readyLineSeen = definition.readyLine === undefined;
  logTail.onLine((line) => {
    if (definition.readyLine?.test(line) === true) readyLineSeen = true;
  });

  let stopping = false;
  let exitedAlready = false;
  const executable = findExecutable(command, definition.cwd, definition.env?.PATH ?? process.env.PATH);
  if (executable === undefined) {
    throw new UsageError('TARGET_COMMAND_NOT_FOUND', `Target ${definition.name}: the command ${JSON.stringify(command)} was not found${command.includes('/') ? '' : ' on PATH'}. Check \`start.command\` of target ${definition.name} in your wsbench config (an absolute path, or a program on PATH)`);
  }
  // Dies with wsbench even on SIGKILL (no exit hook runs then): the kernel sends it SIGKILL when we go.
  const [file, fileArgs] = PDEATHSIG_WRAPPER === undefined ? [launch.command, launch.args] : [PDEATHSIG_WRAPPER, ['--pdeathsig', 'KILL', '--', launch.command, ...launch.args]];
  // Pinned, taskset execs the command: the PID is the server's, and its threads and children inherit the CPUs.
  const subprocess: ResultPromise = execa(file, fileArgs, {
    cwd: definition.cwd,
    env: definition.env,
    detached: true,
    reject: false,
    buffer: false,
    stdin: 'pipe',
  });
  subprocess.stdout?.on('data', (chunk: Buffer) => logTail.push(chunk));
  subprocess.stderr?.on('data', (chunk: Buffer) => logTail.push(chunk));
  const killGroup = (signal: NodeJS.Signals): void => {
    if (subprocess.pid === undefined || exitedAlready) return;
    try {
      process.kill(-subprocess.pid, signal);
    } catch {
      subprocess.kill(signal);
    }
  };
  const exitHook = (): void => killGroup('SIGKILL');
  process.once('exit', exitHook);

  const exited: Promise<TargetExit> = subprocess.then((result) => {
    exitedAlready = true;
    process.off('exit', exitHook);
    return { exitCode: result.exitCode ?? null, signal: result.signal ?? null, stoppedByUs: stopping };
  });

  if (subprocess.pid === undefined) {
    const exit = await exited;
    throw new InfrastructureError('TARGET_START_FAILED', `Could not start target ${definition.name}: \`${commandLine}\` (exit ${exit.exitCode ?? exit.signal})`, { logTail: logTail.last(LOG_TAIL_LINES) });
  }
  const pid = subprocess.pid;

  const stop = async (graceMs = DEFAULT_STOP_GRACE_MS): Promise<TargetExit> => {
    if (!exitedAlready) {
      stopping = true;
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    // Children that outlived the group leader (e.g. a forking server) are still in its group.
    killGroup('SIGKILL');
    return exited;
  };

  const running: RunningTarget = {
    pid,
    url: `ws://${host}:${port}${definition.wsPath}`,
    metricsUrl: metricsAddr === undefined ? undefined : `http://${metricsAddr}/metrics`,
    commandLine,
    logTail,
    ...(namespace === undefined ? {} : { namespace }),
    exited,
    get hasExited() {
      return exitedAlready;
    },
    stop,
  };

  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = Date.now() + readyTimeoutMs;
  while (!(readyLineSeen && (await isAccepting(host, port)))) {
    if (exitedAlready) {
      const exit = await exited;
      const tail = logTail.last(LOG_TAIL_LINES);
      const portTaken = tail.some((line) => /address already in use/i.test(line));
      throw new InfrastructureError(
        portTaken ? 'PORT_IN_USE' : 'TARGET_EXITED_BEFORE_READY',
        portTaken
          ? `Target ${definition.name} could not listen on ${host}:${port}: the address is already in use`
          : `Target ${definition.name} exited before it was ready (${describeExit(exit)}): \`${commandLine}\``,
        { logTail: tail },
      );
    }
    if (Date.now() > deadline) {
      await stop(1000);
      throw new InfrastructureError(
        'TARGET_NOT_READY',
        `Target ${definition.name} was not ready within ${readyTimeoutMs} ms (${readyLineSeen ? `port ${port} never accepted a connection` : 'its ready line never appeared'}): \`${commandLine}\``,
        { logTail: logTail.last(LOG_TAIL_LINES) },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  return running;
}

export function describeExit(exit: TargetExit): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.exitCode}`;
}

function quoteArgument(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replaceAll("'", "'\\''")}'`;
}
