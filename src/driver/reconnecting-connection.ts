import type { ClientConnection, ConnectionListener } from './client-transport.js';

/**
 * Stands in for a connection while it is being reopened (churn, a storm): it looks open, so the schedule
 * keeps sending on it, and it holds what is sent until the new connection is up. A message intended
 * during a reconnect therefore goes out late and its RTT, from the intended send time, includes the
 * wait, which is what the server's user sees too.
 */
export class ReconnectingConnection implements ClientConnection {
  private readonly queued: Array<{ text: boolean; payload: Buffer | string }> = [];
  private listener: ConnectionListener | undefined;
  private id = -1;
  private open = true;
  bufferedAmount = 0;

  get isOpen(): boolean {
    return this.open;
  }

  send(payload: Buffer): void {
    // The caller reuses its buffer: keep a copy.
    this.queued.push({ text: false, payload: Buffer.from(payload) });
  }

  sendText(payload: Buffer | string): void {
    this.queued.push({ text: true, payload: typeof payload === 'string' ? payload : Buffer.from(payload) });
  }

  ping(): void {}

  listen(listener: ConnectionListener, id: number): void {
    this.listener = listener;
    this.id = id;
  }

  close(): void {
    this.open = false;
  }

  terminate(): void {
    this.open = false;
  }

  /** Sends what was queued on the connection that replaces this one (its listeners are the phase's). */
  flushTo(connection: ClientConnection): void {
    for (const { text, payload } of this.queued) {
      if (text) connection.sendText(payload);
      else connection.send(payload as Buffer);
    }
    this.queued.length = 0;
  }

  /** The reopen failed: the connection is gone, as if the server had closed it. */
  fail(code: string): void {
    if (!this.open) return;
    this.open = false;
    this.listener?.onClose(this.id, code);
  }
}
