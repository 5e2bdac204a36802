import net from 'node:net';
import { InfrastructureError } from '../errors.js';
import type { BarrierOutcome, StartBarrier } from '../run/start-barrier.js';
import { BARRIER_RETURN_LEAD_MS, sleepUntil, systemClock } from './barrier-clock.js';
import type { WallClock } from './barrier-clock.js';
import { shardName } from './shard-spec.js';
import { RendezvousCoordinator } from './rendezvous-coordinator.js';
import { CLOCK_OFFSET_WARN_MS, clockWarning } from './clock-offset.js';
import { parseLine, sendLine } from './rendezvous-protocol.js';
import type { CoordinatorMessage } from './rendezvous-protocol.js';

/**
 * `--rendezvous HOST:PORT`: shard 0 is the coordinator and listens on PORT; every other shard connects to
 * HOST:PORT (retrying until it listens). No extra service: on Kubernetes HOST is shard 0's pod name under
 * the Job's headless Service. Each shard reports when its connections are open; when all K have, the
 * coordinator names one start time on its clock, and each shard converts it to its own clock with the
 * offset measured on the same connection (NTP's midpoint estimate), so a host whose clock is off still
 * starts on time — and is named with its offset.
 */
export interface RendezvousOptions {
  host: string;
  port: number;
  shard: { index: number; count: number };
  /** Shards must agree on it (scenario, rate, size, duration, warm-up); a mismatch is named and aborts. */
  scenarioKey: string;
  timeoutMs: number;
  clock?: WallClock;
  /** Between "all connected" and the start: time for the start message to reach every shard. */
  startLeadMs?: number;
}

export const DEFAULT_BARRIER_TIMEOUT_MS = 180_000;
export const DEFAULT_START_LEAD_MS = 1_000;
const RETRY_CONNECT_MS = 250;
/** A follower waits this much longer than shard 0, so shard 0's verdict (naming the missing shard) arrives first. */
const FOLLOWER_GRACE_MS = 5_000;

export function rendezvousBarrier(options: RendezvousOptions): StartBarrier {
  return {
    kind: 'rendezvous',
    describe: () =>
      options.shard.index === 0
        ? `all ${options.shard.count} shards to connect to this one (rendezvous on port ${options.port})`
        : `the start from shard 0 at ${options.host}:${options.port} (rendezvous)`,
    wait: ({ established, signal }) => (options.shard.index === 0 ? coordinate(options, signal) : follow(options, established, signal)),
  };
}

async function coordinate(options: RendezvousOptions, signal: AbortSignal | undefined): Promise<BarrierOutcome> {
  const clock = options.clock ?? systemClock;
  const coordinator = new RendezvousCoordinator({
    count: options.shard.count,
    scenarioKey: options.scenarioKey,
    timeoutMs: options.timeoutMs,
    startLeadMs: options.startLeadMs ?? DEFAULT_START_LEAD_MS,
    clock,
  });
  const listenHost = net.isIP(options.host) === 0 ? undefined : options.host;
  const onAbort = (): void => coordinator.abort('the coordinator (shard 0) was interrupted');
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const start = await coordinator.run(options.port, listenHost);
    await sleepUntil(start.startAtMs - BARRIER_RETURN_LEAD_MS, clock, signal);
    return { startEpochMs: start.startAtMs, clockOffsetMs: 0, warnings: start.warnings };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

async function follow(options: RendezvousOptions, established: number, signal: AbortSignal | undefined): Promise<BarrierOutcome> {
  const clock = options.clock ?? systemClock;
  const name = shardName(options.shard.index, options.shard.count);
  const deadline = clock() + options.timeoutMs;
  const socket = await connectWithRetry(options, deadline, clock, signal, name);
  try {
    const message = await new Promise<{ start: CoordinatorMessage & { type: 'start' }; offsetMs: number }>((resolve, reject) => {
      let offsetMs = 0;
      const fail = (error: InfrastructureError): void => reject(error);
      const timer = setTimeout(
        () => fail(new InfrastructureError('BARRIER_TIMEOUT', `${name}: shard 0 at ${options.host}:${options.port} did not start the load within ${options.timeoutMs / 1000} s of this shard being ready; some shard never reached the barrier (shard 0's result names it)`)),
        Math.max(0, deadline - clock()) + FOLLOWER_GRACE_MS,
      );
      signal?.addEventListener('abort', () => fail(new InfrastructureError('INTERRUPTED', `${name} was interrupted at the start barrier`)), { once: true });
      socket.on('close', () => fail(new InfrastructureError('BARRIER_LOST', `${name}: shard 0 at ${options.host}:${options.port} closed the rendezvous before the start (did it fail or get killed? its result says why)`)));
      parseLine(socket, (line) => {
        const reply = line as CoordinatorMessage;
        if (reply.type === 'time') {
          // NTP's estimate: the coordinator read its clock halfway between our send and our receipt.
          offsetMs = (reply.clientMs + clock()) / 2 - reply.coordinatorMs;
          sendLine(socket, { type: 'ready', index: options.shard.index, established, offsetMs });
        } else if (reply.type === 'start') {
          clearTimeout(timer);
          resolve({ start: reply, offsetMs });
        } else if (reply.type === 'abort') {
          clearTimeout(timer);
          fail(new InfrastructureError('BARRIER_ABORTED', `${name}: shard 0 aborted the start: ${reply.reason}`));
        }
      });
      sendLine(socket, { type: 'hello', index: options.shard.index, count: options.shard.count, scenarioKey: options.scenarioKey, clientMs: clock() });
    });
    const startEpochMs = message.start.startAtMs + message.offsetMs;
    await sleepUntil(startEpochMs - BARRIER_RETURN_LEAD_MS, clock, signal);
    const warnings = Math.abs(message.offsetMs) > CLOCK_OFFSET_WARN_MS ? [clockWarning(name, message.offsetMs)] : [];
    return { startEpochMs, clockOffsetMs: message.offsetMs, warnings };
  } finally {
    socket.destroy();
  }
}

async function connectWithRetry(options: RendezvousOptions, deadline: number, clock: WallClock, signal: AbortSignal | undefined, name: string): Promise<net.Socket> {
  let lastError = '';
  while (clock() < deadline) {
    if (signal?.aborted === true) throw new InfrastructureError('INTERRUPTED', `${name} was interrupted at the start barrier`);
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host: options.host, port: options.port });
        socket.once('connect', () => {
          socket.off('error', reject);
          socket.on('error', () => {});
          resolve(socket);
        });
        socket.once('error', reject);
      });
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      await new Promise((resolve) => setTimeout(resolve, RETRY_CONNECT_MS));
    }
  }
  throw new InfrastructureError('BARRIER_TIMEOUT', `${name}: could not reach shard 0's rendezvous at ${options.host}:${options.port} within ${options.timeoutMs / 1000} s (${lastError}); is shard 0 running, and is --rendezvous its address?`);
}
