import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';

/**
 * Small misbehaving WebSocket servers (the `ws` package, not our fixtures) for the fault tests: each breaks
 * one promise an echo server makes. They run in the test process on a free loopback port.
 */
export type FaultBehaviour =
  | 'echo'
  | 'never-echo'
  | 'echo-half'
  | 'truncate'
  | 'corrupt'
  | 'garbage'
  | 'close-1009'
  | 'extra-messages'
  /** Each connection is cut (TCP reset, no close frame) after echoing this many messages. */
  | { closeAfterEchoes: number }
  /** The whole server goes away (every connection cut, the port closed) after this many echoes in all. */
  | { goneAfterEchoes: number }
  | { echoDelayMs: number };

export interface FaultServer {
  url: string;
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close: () => Promise<void>;
}

function asBuffer(data: RawData): Buffer {
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
}

function behave(socket: WebSocket, behaviour: FaultBehaviour, onEcho: () => void): void {
  let count = 0;
  socket.on('message', (data, isBinary) => {
    const frame = asBuffer(data);
    count++;
    if (typeof behaviour === 'object' && 'closeAfterEchoes' in behaviour && count > behaviour.closeAfterEchoes) {
      socket.terminate();
      return;
    }
    switch (behaviour) {
      case 'never-echo':
        return;
      case 'echo-half':
        if (count % 2 === 0) socket.send(frame, { binary: isBinary });
        return;
      case 'truncate':
        socket.send(frame.subarray(0, 8), { binary: isBinary });
        return;
      case 'corrupt': {
        const copy = Buffer.from(frame);
        copy[copy.length - 1] = copy[copy.length - 1]! ^ 0xff;
        socket.send(copy, { binary: isBinary });
        return;
      }
      case 'garbage':
        socket.send(Buffer.from('not an echo at all'), { binary: true });
        return;
      case 'close-1009':
        socket.close(1009, 'message too big');
        return;
      case 'extra-messages':
        socket.send(frame, { binary: isBinary });
        socket.send('{"type":"hello"}');
        return;
      default:
        if (typeof behaviour === 'object' && 'echoDelayMs' in behaviour) {
          setTimeout(() => socket.send(frame, { binary: isBinary }), behaviour.echoDelayMs);
          return;
        }
        socket.send(frame, { binary: isBinary });
        onEcho();
    }
  });
}

export async function startFaultServer(behaviour: FaultBehaviour): Promise<FaultServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  let accepted = 0;
  let echoes = 0;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      for (const client of server.clients) client.terminate();
      server.close(() => resolve());
    }));
  server.on('connection', (socket) => {
    accepted++;
    behave(socket, behaviour, () => {
      echoes++;
      if (typeof behaviour === 'object' && 'goneAfterEchoes' in behaviour && echoes >= behaviour.goneAfterEchoes) void close();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    port,
    get accepted() {
      return accepted;
    },
    close,
  };
}
