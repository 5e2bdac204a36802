import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { HandshakeOptions } from './handshake-options.js';
import { DATA, DataFrameParser, INCOMPLETE } from './data-frame-parser.js';

/**
 * Where connections deliver what they receive: one object for all of a phase's connections, each
 * connection tagged with the id it was given, so holding 100K connections costs no closure apiece.
 */
export interface ConnectionListener {
  onMessage(id: number, data: Buffer, isBinary: boolean): void;
  /** Told once that the connection is gone and why (a close code or an error code). */
  onClose(id: number, code: string): void;
  /** A pong came back (to `ping()`). */
  onPong?(id: number): void;
}

/** What the load worker needs from a client connection; injected so tests can drive a fake one. */
export interface ClientConnection {
  /** Sends a binary frame. */
  send(payload: Buffer): void;
  /** Sends a text frame (the caller guarantees UTF-8). */
  sendText(payload: Buffer | string): void;
  /** Sends a ping; the pong comes back through the listener's `onPong`. */
  ping(): void;
  readonly bufferedAmount: number;
  readonly isOpen: boolean;
  /** Routes this connection's messages and close to `listener` as `id` (a later call replaces it: each load phase installs its own). */
  listen(listener: ConnectionListener, id: number): void;
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
 * only when asked, and the handshake's headers, subprotocol and TLS trust as given. The handshake timeout is
 * our own timer, not ws's `handshakeTimeout`: that one arms the socket's idle timeout, and a socket keeps its
 * cleared Timeout (and a bound callback) for life, ~200 B per connection.
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
      ...(headers === undefined ? {} : { headers }),
      ...(handshake?.caPem === undefined ? {} : { ca: handshake.caPem }),
      ...(handshake?.insecure === true ? { rejectUnauthorized: false } : {}),
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    socket.binaryType = 'nodebuffer';
    const fail = (error: Error & { code?: string }): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      reject(error);
    };
    const timer = setTimeout(() => fail(Object.assign(new Error('Opening handshake has timed out'), { code: 'HANDSHAKE_TIMEOUT' })), options.handshakeTimeoutMs);
    socket.once('error', fail);
    socket.once('unexpected-response', (_request, response) => {
      fail(Object.assign(new Error(`unexpected HTTP ${response.statusCode} on upgrade`), { code: `HTTP_${response.statusCode}` }));
    });
    socket.once('open', () => {
      clearTimeout(timer);
      socket.removeAllListeners();
      resolve(new WsConnection(socket));
    });
  });

const kConnection = Symbol('wsbench.connection');
type TaggedSocket = WebSocket & { [kConnection]: WsConnection };
/** What we reach into `ws` for: the TCP socket under it and its receiver's unparsed bytes. */
type WsInternals = { _socket?: Socket; _receiver?: { _bufferedBytes?: unknown } };
const SEND_OPTIONS = { binary: true } as const;
const SEND_TEXT_OPTIONS = { binary: false } as const;
const PARSER = new DataFrameParser();
/** `ws`'s own 'data' listener (one function shared by all its sockets), found on the first connection. */
let wsDataListener: ((this: Socket, chunk: Buffer) => void) | undefined;
/** The symbol under which ws keeps a TCP socket's WebSocket (its `kWebSocket`), found on the first connection. */
let kWebSocket: symbol | undefined;
/** WSBENCH_WS_RECEIVER=1 leaves every byte to ws's receiver (to compare, or to rule the fast path out). */
const FAST_PATH_ENABLED = process.env.WSBENCH_WS_RECEIVER !== '1';

/**
 * A `ws` socket as a ClientConnection. Its listeners are shared module functions that find their
 * connection through a symbol on the socket, and the methods live on the prototype: per connection this
 * is one small object, not a dozen closures.
 *
 * Receiving: `ws` parses frames through a Writable stream (a write, a tick and an event per message). The
 * echoes this driver lives on are plain data frames, so after the handshake the TCP socket's 'data' goes
 * to DataFrameParser first; at the first frame it does not handle (a ping, a close, a fragment, a frame
 * of 64 KiB or more) that connection hands those bytes and all later ones to ws's parser for good. ws
 * still does the handshake, sending, control frames, closing and errors.
 */
class WsConnection implements ClientConnection {
  private open = true;
  private listener: ConnectionListener | undefined;
  private id = -1;
  /** Bytes of a frame not yet complete (fast path only). */
  private pending: Buffer | undefined;
  private pongs = false;
  private readonly compressing: boolean;

  constructor(private readonly socket: WebSocket) {
    // Known once the handshake is done (the connection is made after it); read once, not per message.
    this.compressing = socket.extensions !== '';
    (socket as TaggedSocket)[kConnection] = this;
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('message', onSocketMessage);
    if (FAST_PATH_ENABLED) takeOverData(socket);
  }

  send(payload: Buffer): void {
    this.socket.send(this.ownCopy(payload), SEND_OPTIONS);
  }

  sendText(payload: Buffer | string): void {
    this.socket.send(typeof payload === 'string' ? payload : this.ownCopy(payload), SEND_TEXT_OPTIONS);
  }

  /**
   * The driver reuses one payload buffer, writing each message's sequence number into it before sending.
   * Without an extension ws frames (and masks a copy of) it at once; with permessage-deflate it compresses
   * a large message later, on zlib's thread, and queues the ones after it, reading a buffer already rewritten
   * for the next message (replies then carry the wrong sequence numbers). A compressing connection copies.
   */
  private ownCopy(payload: Buffer): Buffer {
    return this.compressing ? Buffer.from(payload) : payload;
  }

  ping(): void {
    // Listened for only once pinging starts: a listener is bytes on every one of 100K sockets.
    if (!this.pongs) this.socket.on('pong', onSocketPong);
    this.pongs = true;
    this.socket.ping();
  }

  ponged(): void {
    this.listener?.onPong?.(this.id);
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  get isOpen(): boolean {
    return this.open;
  }

  listen(listener: ConnectionListener, id: number): void {
    this.listener = listener;
    this.id = id;
  }

  close(): void {
    this.open = false;
    this.socket.close(1000);
  }

  terminate(): void {
    this.open = false;
    this.socket.terminate();
  }

  received(data: Buffer, isBinary: boolean): void {
    this.listener?.onMessage(this.id, data, isBinary);
  }

  /** The fast path: data frames are delivered here; anything else goes to ws from that byte on. */
  rawData(chunk: Buffer): void {
    const buffer = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let offset = 0;
    for (;;) {
      const kind = PARSER.next(buffer, offset);
      if (kind === DATA) {
        offset = PARSER.payloadEnd;
        this.received(buffer.subarray(PARSER.payloadStart, PARSER.payloadEnd), PARSER.isBinary);
      } else if (kind === INCOMPLETE) {
        if (offset < buffer.length) this.pending = buffer.subarray(offset);
        return;
      } else {
        const raw = (this.socket as unknown as WsInternals)._socket!;
        raw.removeListener('data', onRawData);
        raw.on('data', wsDataListener!);
        wsDataListener!.call(raw, buffer.subarray(offset));
        return;
      }
    }
  }

  closed(code: string): void {
    if (!this.open) return;
    this.open = false;
    this.listener?.onClose(this.id, code);
  }
}

/**
 * Puts the fast path in front of ws's receiver when ws is as we know it (one 'data' listener on its TCP
 * socket, the socket tagged with its WebSocket, nothing buffered in its receiver, no extension);
 * otherwise leaves ws alone. Nothing is added to the TCP socket: its listener finds us through ws's tag.
 */
function takeOverData(socket: WebSocket): void {
  const internals = socket as unknown as WsInternals;
  const raw = internals._socket;
  // A negotiated extension (permessage-deflate) transforms frames: all of them go to ws.
  if (raw === undefined || socket.extensions !== '' || internals._receiver?._bufferedBytes !== 0) return;
  const listeners = raw.listeners('data');
  if (listeners.length !== 1) return;
  const listener = listeners[0] as (this: Socket, chunk: Buffer) => void;
  if (wsDataListener === undefined && listener.name === 'socketOnData') wsDataListener = listener;
  kWebSocket ??= Object.getOwnPropertySymbols(raw).find((symbol) => symbol.description === 'websocket');
  if (listener !== wsDataListener || kWebSocket === undefined || (raw as unknown as Record<symbol, unknown>)[kWebSocket] !== socket) return;
  raw.removeListener('data', listener);
  raw.on('data', onRawData);
}

function onRawData(this: Socket, chunk: Buffer): void {
  // ws unties the socket from its WebSocket when it closes; nothing is read after that.
  (this as unknown as Record<symbol, TaggedSocket | undefined>)[kWebSocket!]?.[kConnection].rawData(chunk);
}

function onSocketMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
  (this as TaggedSocket)[kConnection].received(data as Buffer, isBinary);
}

function onSocketPong(this: WebSocket): void {
  (this as TaggedSocket)[kConnection].ponged();
}

function onSocketClose(this: WebSocket, code: number): void {
  (this as TaggedSocket)[kConnection].closed(`CLOSE_${code}`);
}

function onSocketError(this: WebSocket, error: Error & { code?: string }): void {
  (this as TaggedSocket)[kConnection].closed(error.code ?? 'ERROR');
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
