import type { ClientConnection, ConnectionListener } from '../../src/driver/client-transport.js';

export interface FakeConnectionOptions {
  /** Milliseconds before each echo; `null` never echoes (a server that stopped answering). */
  echoDelayMs?: number | null;
  /** What the server answers to a message (default: the message itself); null answers nothing. */
  respond?: (payload: Buffer) => Buffer | null;
  /** Milliseconds before a pong; `null` never pongs. */
  pongDelayMs?: number | null;
  /** What the "server" answers instead of the payload (a truncating or corrupting server); default: the payload itself. */
  answer?: (payload: Buffer) => Buffer[];
}

/** An in-memory connection that echoes what it is sent, for driving the load phase without sockets. */
export class FakeConnection implements ClientConnection {
  bufferedAmount = 0;
  isOpen = true;
  sent = 0;
  private listener: ConnectionListener | undefined;
  private id = -1;
  texts = 0;
  pings = 0;

  constructor(private readonly options: FakeConnectionOptions = {}) {}

  sendText(payload: Buffer | string): void {
    this.texts++;
    this.send(Buffer.from(payload));
  }

  ping(): void {
    this.pings++;
    const delay = this.options.pongDelayMs === undefined ? 0 : this.options.pongDelayMs;
    if (delay === null) return;
    setTimeout(() => {
      if (this.isOpen) this.listener?.onPong?.(this.id);
    }, delay);
  }

  send(payload: Buffer): void {
    this.sent++;
    const copy = this.options.respond === undefined ? Buffer.from(payload) : this.options.respond(Buffer.from(payload));
    if (copy === null) return;
    const delay = this.options.echoDelayMs === undefined ? 0 : this.options.echoDelayMs;
    if (delay === null) return;
    const answers = this.options.answer?.(copy) ?? [copy];
    setTimeout(() => {
      for (const answer of answers) if (this.isOpen) this.listener?.onMessage(this.id, answer, true);
    }, delay);
  }

  listen(listener: ConnectionListener, id: number): void {
    this.listener = listener;
    this.id = id;
  }

  /** The server pushing a message of its own (a broadcast, a greeting). */
  push(data: Buffer): void {
    if (this.isOpen) this.listener?.onMessage(this.id, Buffer.from(data), true);
  }

  /** The server side closing the connection. */
  drop(code: string): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.listener?.onClose(this.id, code);
  }

  close(): void {
    this.isOpen = false;
  }

  terminate(): void {
    this.isOpen = false;
  }
}
