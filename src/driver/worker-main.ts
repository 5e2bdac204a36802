/**
 * Entry point of a driver worker process (forked by the worker pool). It holds its share of the
 * connections and runs load phases on them when told. It dies with its coordinator: when the IPC
 * channel closes, whatever the reason, it exits at once, so no worker outlives wsbench.
 */
import { performance } from 'node:perf_hooks';
import type { ClientConnection } from './client-transport.js';
import { dialWebSocket } from './client-transport.js';
import { openConnections } from './open-connections.js';
import { LoadPhase } from './load-phase.js';
import { raiseLoopAboveHelpers } from './loop-priority.js';
import { encodeHistogram } from '../metrics/latency-histogram.js';
import type { CoordinatorMessage, OpenCommand, WorkerMessage } from './worker-protocol.js';

const PROGRESS_INTERVAL_MS = 1000;

const connections: ClientConnection[] = [];
/** Connections whose loss a phase has already reported, so a ramp's later steps do not count it again. */
const reportedLost = new WeakSet<ClientConnection>();
let currentPhase: LoadPhase | undefined;
let lastOpen: OpenCommand | undefined;
let redials = 0;

/** A replacement connection for churn: the same URL, handshake and source addresses as the first opening. */
function redial(): Promise<ClientConnection> {
  const command = lastOpen!;
  const addresses = command.localAddresses;
  const localAddress = addresses.length === 0 ? undefined : addresses[redials++ % addresses.length];
  return dialWebSocket(command.url, { handshakeTimeoutMs: command.handshakeTimeoutMs, handshake: command.handshake, ...(localAddress === undefined ? {} : { localAddress }) });
}

function replaced(previous: ClientConnection, next: ClientConnection): void {
  const index = connections.indexOf(previous);
  if (index >= 0) connections[index] = next;
  else connections.push(next);
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

function measureMemory(): { heapUsedBytes: number; rssBytes: number } {
  // Workers run with --expose-gc so the heap per idle connection is measured after collection.
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  return { heapUsedBytes: memory.heapUsed, rssBytes: memory.rss };
}

async function open(command: OpenCommand): Promise<void> {
  lastOpen = command;
  const startedMs = performance.now();
  let lastProgressMs = startedMs;
  const opened = await openConnections({
    dial: dialWebSocket,
    url: command.url,
    count: command.connections,
    localAddresses: command.localAddresses,
    concurrency: command.handshakeConcurrency,
    handshakeTimeoutMs: command.handshakeTimeoutMs,
    handshake: command.handshake,
    onProgress: (progress) => {
      const now = performance.now();
      if (now - lastProgressMs < PROGRESS_INTERVAL_MS) return;
      lastProgressMs = now;
      send({ type: 'opening', ...progress });
    },
  });
  connections.push(...opened.connections);
  send({
    type: 'opened',
    attempted: opened.attempted,
    established: opened.connections.length,
    failed: opened.failed,
    errorsByCode: opened.errorsByCode,
    handshakeHistogram: encodeHistogram(opened.handshakeHistogram),
    openMs: performance.now() - startedMs,
    ...measureMemory(),
  });
}

async function handle(message: CoordinatorMessage): Promise<void> {
  switch (message.type) {
    case 'open':
      await open(message);
      return;
    case 'load': {
      // Every connection opened stays in the schedule: one that died since it opened cannot carry its
      // messages, and they count as failures instead of silently shrinking the offered load.
      const lostBeforeStart = connections.filter((connection) => !connection.isOpen && !reportedLost.has(connection)).length;
      currentPhase = new LoadPhase({ command: message, connections, lostBeforeStart, onSnapshot: send, ...(lastOpen === undefined ? {} : { redial, onReplaced: replaced }) });
      const report = await currentPhase.run();
      currentPhase = undefined;
      for (const connection of connections) if (!connection.isOpen) reportedLost.add(connection);
      send(report);
      return;
    }
    case 'stop':
      currentPhase?.interrupt();
      return;
    case 'close':
      for (const connection of connections) connection.terminate();
      process.disconnect?.();
      process.exit(0);
  }
}

// Under compare/bench's SCHED_RR the loop must outrank this process's own helper threads (loop-priority.ts).
void raiseLoopAboveHelpers();

// Ctrl-C reaches the whole foreground process group; the coordinator decides how the run ends.
process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));
process.on('message', (message: CoordinatorMessage) => {
  handle(message).catch((error: unknown) => {
    send({
      type: 'failed',
      message: error instanceof Error ? error.message : String(error),
      ...(error instanceof Error && error.stack !== undefined ? { stack: error.stack } : {}),
    });
  });
});
