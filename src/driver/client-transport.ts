import WebSocket from 'ws';
import type { HandshakeOptions } from './handshake-options.js';

/** What the load worker needs from a client connection; injected so tests can drive a fake one. */
export interface ClientConnection {
  /** Sends a binary frame. */
  send(payload: Buffer): void;
  /** Sends a text frame (the caller guarantees UTF-8). */
  sendText(payload: Buffer | string): void;
  /** Sends a ping; the pong comes back through `onPong`. */
  ping(): void;
  onPong(listener: () => void): void;
  readonly bufferedAmount: number;
  readonly isOpen: boolean;
  /** Sets the one message listener (a later call replaces it: each load phase installs its own). */
  onMessage(listener: (data: Buffer) => void): void;
  /** Sets the one listener told, once, that the connection is gone and why. */
  onClose(listener: (code: string) => void): void;
  close(): void;
  terminate(): void;
}

export interface DialOptions {
  localAddress?: string;
  handshakeTimeoutMs: number;
  handshake?: HandshakeOptions;
}

export type Dial = (url: string, options: DialOptions) => Promise<ClientConnection>;

const MAX_ECHO_PAYLOAD_BYTES = 64 * 1024 * 1024;

/**
 * Opens a real WebSocket with `ws`: no UTF-8 validation (the driver reads payloads as bytes), compression
 * only when asked, and the handshake's headers, subprotocol and TLS trust as given.
 */
export const dialWebSocket: Dial = (url, options) =>
  new Promise((resolve, reject) => {
    const handshake = options.handshake;
    const headers = handshake === undefined || handshake.headers.length === 0 ? undefined : Object.fromEntries(handshake.headers);
    const socket = new WebSocket(url, handshake?.subprotocol === undefined ? [] : [handshake.subprotocol], {
      perMessageDeflate: handshake?.compression === true,
      skipUTF8Validation: true,
      followRedirects: false,
      maxPayload: MAX_ECHO_PAYLOAD_BYTES,
      handshakeTimeout: options.handshakeTimeoutMs,
      ...(headers === undefined ? {} : { headers }),
      ...(handshake?.caPem === undefined ? {} : { ca: handshake.caPem }),
      ...(handshake?.insecure === true ? { rejectUnauthorized: false } : {}),
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    socket.binaryType = 'nodebuffer';
    const fail = (error: Error & { code?: string }): void => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      reject(error);
    };
    socket.once('error', fail);
    socket.once('unexpected-response', (_request, response) => {
      fail(Object.assign(new Error(`unexpected HTTP ${response.statusCode} on upgrade`), { code: `HTTP_${response.statusCode}` }));
    });
    socket.once('open', () => {
      socket.removeAllListeners();
      resolve(wrapWebSocket(socket));
    });
  });

function wrapWebSocket(socket: WebSocket): ClientConnection {
  let open = true;
  let messageListener: ((data: Buffer) => void) | undefined;
  let closeListener: ((code: string) => void) | undefined;
  let pongListener: (() => void) | undefined;
  const closed = (code: string): void => {
    if (!open) return;
    open = false;
    closeListener?.(code);
  };
  socket.on('error', (error: Error & { code?: string }) => closed(error.code ?? 'ERROR'));
  socket.on('close', (code: number) => closed(`CLOSE_${code}`));
  socket.on('message', (data) => messageListener?.(data as Buffer));
  socket.on('pong', () => pongListener?.());
  return {
    send: (payload) => socket.send(payload, { binary: true }),
    sendText: (payload) => socket.send(payload, { binary: false }),
    ping: () => socket.ping(),
    onPong: (listener) => {
      pongListener = listener;
    },
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    get isOpen() {
      return open;
    },
    onMessage: (listener) => {
      messageListener = listener;
    },
    onClose: (listener) => {
      closeListener = listener;
    },
    close: () => {
      open = false;
      socket.close(1000);
    },
    terminate: () => {
      open = false;
      socket.terminate();
    },
  };
}

/** A stable error code for a failed dial: the errno code, `HTTP_<status>`, or the error's name. */
export function dialErrorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.length > 0) return code;
  const message = error instanceof Error ? error.message : String(error);
  if (/handshake has timed out/i.test(message)) return 'HANDSHAKE_TIMEOUT';
  if (/Server sent no subprotocol|Server sent an invalid subprotocol/i.test(message)) return 'SUBPROTOCOL_REJECTED';
  if (/self[- ]signed|unable to verify|certificate/i.test(message)) return 'TLS_CERTIFICATE';
  return 'ERROR';
}
