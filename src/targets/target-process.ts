import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { InfrastructureError, UsageError } from '../errors.js';
import { pinnedCommand } from '../cpu-pin.js';
import type { CpuPin } from '../cpu-pin.js';
import { LogTail } from './log-tail.js';
import { findFreePort, isAccepting } from './free-port.js';
import { fillPlaceholders, knobArguments } from './target-definition.js';
import type { TargetDefinition } from './target-definition.js';

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
}

/** A started, ready server under test. */
export interface RunningTarget {
  pid: number;
  url: string;
  metricsUrl: string | undefined;
  /** The command line, for reports and for reproducing the run by hand. */
  commandLine: string;
  logTail: LogTail;
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

/** The command as it will be run, or undefined when there is no such executable (PATH searched for a bare name). */
export function findExecutable(command: string, cwd: string | undefined, searchPath: string | undefined): string | undefined {
  const runnable = (candidate: string): boolean => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    const resolved = path.resolve(cwd ?? process.cwd(), command);
    return runnable(resolved) ? resolved : undefined;
  }
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    if (runnable(candidate)) return candidate;
  }
  return undefined;
}

export async function startTarget(options: StartTargetOptions): Promise<RunningTarget> {
  const { definition } = options;
  const knobArgs = knobArguments(definition, options.knobs);
  const port = options.port ?? (await findFreePort(TARGET_HOST));
  const metricsPort = definition.servesMetrics ? await findFreePort(TARGET_HOST) : undefined;
  const metricsAddr = metricsPort === undefined ? undefined : `${TARGET_HOST}:${metricsPort}`;
  if (await isAccepting(TARGET_HOST, port)) {
    throw new UsageError('PORT_IN_USE', `Port ${port} on ${TARGET_HOST} is already in use by another process; stop it or choose another port for target ${definition.name}`);
  }
  const command = definition.prepare === undefined ? definition.command : await definition.prepare();
  const args = [...fillPlaceholders(definition.args, { port, host: TARGET_HOST, metricsAddr }), ...knobArgs];
  const launch = pinnedCommand(options.pin, command, args);
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
    url: `ws://${TARGET_HOST}:${port}${definition.wsPath}`,
    metricsUrl: metricsAddr === undefined ? undefined : `http://${metricsAddr}/metrics`,
    commandLine,
    logTail,
    exited,
    get hasExited() {
      return exitedAlready;
    },
    stop,
  };

  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = Date.now() + readyTimeoutMs;
  while (!(readyLineSeen && (await isAccepting(TARGET_HOST, port)))) {
    if (exitedAlready) {
      const exit = await exited;
      const tail = logTail.last(LOG_TAIL_LINES);
      const portTaken = tail.some((line) => /address already in use/i.test(line));
      throw new InfrastructureError(
        portTaken ? 'PORT_IN_USE' : 'TARGET_EXITED_BEFORE_READY',
        portTaken
          ? `Target ${definition.name} could not listen on ${TARGET_HOST}:${port}: the address is already in use`
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
