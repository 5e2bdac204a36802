import type { ClientConnection } from './client-transport.js';
import type { Redial } from './churn.js';
import type { Clock } from './phase-accounts.js';
import type { LoadCommand, SnapshotReport } from './worker-protocol.js';

export const TIMEOUT_SWEEP_MS = 100;
/** Bytes at the head of every payload: the message's sequence number on its connection. */
export const PAYLOAD_HEADER_BYTES = 8;
export const PAYLOAD_MAGIC = 0x31425357; // "WSB1", little-endian
/**
 * Sends due within this long of each other go out in one wake-up: fewer wake-ups (each costs a
 * thread hand-off) for at most this much added send lag.
 */
export const MIN_WAKE_INTERVAL_MS = 0.5;
/** An interrupted phase waits at most this long for echoes already in flight. */
export const INTERRUPT_DRAIN_MS = 1000;
/** A broadcast phase keeps listening this long after the last publish for deliveries still on their way. */
export const BROADCAST_DRAIN_MS = 1000;

export interface LoadPhaseOptions {
  command: LoadCommand;
  connections: readonly ClientConnection[];
  clock?: Clock;
  /** Epoch ms → this process's clock. */
  epochToClock?: (epochMs: number) => number;
  onSnapshot: (snapshot: SnapshotReport) => void;
  /** Connections among `connections` that closed after opening and before this phase (reported as dropped). */
  lostBeforeStart?: number;
  /** Opens a replacement connection, for `--pattern churn`. */
  redial?: Redial;
  onReplaced?: (previous: ClientConnection, next: ClientConnection) => void;
}

/** An echo payload of `messageBytes`: the sequence number (written per send), the magic, then filler. */
export function createEchoPayload(messageBytes: number): Buffer {
  const payload = Buffer.alloc(Math.max(PAYLOAD_HEADER_BYTES, messageBytes), 0x61);
  payload.writeUInt32LE(PAYLOAD_MAGIC, 4);
  return payload;
}
