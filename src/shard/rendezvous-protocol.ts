import type { Socket } from 'node:net';

/** The rendezvous' messages, one JSON object per line. Times are each sender's wall clock, epoch ms. */
export type ShardMessage =
  | { type: 'hello'; index: number; count: number; scenarioKey: string; clientMs: number }
  | { type: 'ready'; index: number; established: number; offsetMs: number };

export type CoordinatorMessage =
  | { type: 'time'; clientMs: number; coordinatorMs: number }
  /** The common start on the coordinator's clock. */
  | { type: 'start'; startAtMs: number }
  | { type: 'abort'; reason: string };

export function sendLine(socket: Socket, message: ShardMessage | CoordinatorMessage): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
}

/** Calls `onLine` with each parsed line; a line that is not JSON closes the socket (not a wsbench peer). */
export function parseLine(socket: Socket, onLine: (value: unknown) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        onLine(JSON.parse(line));
      } catch {
        socket.destroy();
        return;
      }
    }
    if (buffered.length > 64 * 1024) socket.destroy();
  });
}
