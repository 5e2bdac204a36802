import WebSocket from 'ws';

/** What the load worker needs from a client connection; injected so tests can drive a fake one. */
export interface ClientConnection {
  send(payload: Buffer): void;
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
}

export type Dial = (url: string, options: DialOptions) => Promise<ClientConnection>;

const MAX_ECHO_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** Opens a real WebSocket with `ws`: no compression, no UTF-8 validation (payloads are binary). */
export const dialWebSocket: Dial = (url, options) =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      followRedirects: false,
      maxPayload: MAX_ECHO_PAYLOAD_BYTES,
      handshakeTimeout: options.handshakeTimeoutMs,
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
  const closed = (code: string): void => {
    if (!open) return;
    open = false;
    closeListener?.(code);
  };
  socket.on('error', (error: Error & { code?: string }) => closed(error.code ?? 'ERROR'));
  socket.on('close', (code: number) => closed(`CLOSE_${code}`));
  socket.on('message', (data) => messageListener?.(data as Buffer));
  return {
    send: (payload) => socket.send(payload, { binary: true }),
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
  return 'ERROR';
}
