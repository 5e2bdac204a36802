import net from 'node:net';
import { InfrastructureError } from '../errors.js';
import type { WallClock } from './barrier-clock.js';
import { clockWarning, CLOCK_OFFSET_WARN_MS } from './clock-offset.js';
import { parseLine, sendLine } from './rendezvous-protocol.js';
import type { ShardMessage } from './rendezvous-protocol.js';
import { shardName } from './shard-spec.js';

interface Arrival {
  socket: net.Socket;
  ready: boolean;
  offsetMs: number;
}

/**
 * Shard 0's side of the rendezvous: waits for shards 1 … K−1 to say their connections are open, then
 * sends one start time. A shard with another scenario or shard count, or an index already taken, is
 * refused by name; at the timeout every shard still missing is named and every waiting shard is told.
 */
export class RendezvousCoordinator {
  private readonly arrivals = new Map<number, Arrival>();
  private server: net.Server | undefined;
  private settle: ((error?: InfrastructureError) => void) | undefined;

  constructor(private readonly options: { count: number; scenarioKey: string; timeoutMs: number; startLeadMs: number; clock: WallClock }) {}

  /** Listens, waits for everyone, sends the start; resolves with the start on this clock. */
  async run(port: number, host: string | undefined): Promise<{ startAtMs: number; warnings: string[] }> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new InfrastructureError('RENDEZVOUS_LISTEN', `shard 0 cannot listen for the rendezvous on ${host ?? '*'}:${port}: ${error.message}; choose another port in --rendezvous`, { cause: error })));
      server.listen({ port, ...(host === undefined ? {} : { host }) }, resolve);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => this.settle?.(this.timeoutError()), this.options.timeoutMs);
        this.settle = (error) => {
          clearTimeout(timer);
          this.settle = undefined;
          if (error === undefined) resolve();
          else reject(error);
        };
        this.checkAllReady();
      });
      const startAtMs = this.options.clock() + this.options.startLeadMs;
      for (const arrival of this.arrivals.values()) sendLine(arrival.socket, { type: 'start', startAtMs });
      const warnings = [...this.arrivals.entries()]
        .filter(([, arrival]) => Math.abs(arrival.offsetMs) > CLOCK_OFFSET_WARN_MS)
        .map(([index, arrival]) => clockWarning(shardName(index, this.options.count), arrival.offsetMs));
      return { startAtMs, warnings };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      for (const arrival of this.arrivals.values()) sendLine(arrival.socket, { type: 'abort', reason });
      throw error;
    } finally {
      // Let the start (or abort) lines flush before the sockets go.
      for (const arrival of this.arrivals.values()) arrival.socket.end();
      server.close();
    }
  }

  abort(reason: string): void {
    this.settle?.(new InfrastructureError('BARRIER_ABORTED', reason));
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => {});
    let index: number | undefined;
    socket.on('close', () => {
      // A shard that drops before the start may come back (a restarted pod); until then it is missing.
      if (index !== undefined && this.arrivals.get(index)?.socket === socket) this.arrivals.delete(index);
    });
    parseLine(socket, (value) => {
      const message = value as ShardMessage;
      if (message.type === 'hello') {
        const problem = this.refusal(message);
        if (problem !== undefined) {
          sendLine(socket, { type: 'abort', reason: problem });
          socket.end();
          return;
        }
        index = message.index;
        this.arrivals.set(index, { socket, ready: false, offsetMs: 0 });
        sendLine(socket, { type: 'time', clientMs: message.clientMs, coordinatorMs: this.options.clock() });
      } else if (message.type === 'ready' && index !== undefined) {
        const arrival = this.arrivals.get(index);
        if (arrival === undefined) return;
        arrival.ready = true;
        arrival.offsetMs = message.offsetMs;
        this.checkAllReady();
      }
    });
  }

  private refusal(hello: ShardMessage & { type: 'hello' }): string | undefined {
    const name = shardName(hello.index, hello.count);
    if (hello.count !== this.options.count) return `${name} was started with ${hello.count} shards, shard 0 with ${this.options.count}; give every shard the same --shards/--shard count`;
    if (!Number.isInteger(hello.index) || hello.index < 1 || hello.index >= this.options.count) return `${name}: expected a shard index from 1 to ${this.options.count - 1} at the rendezvous (0 is the coordinator)`;
    if (hello.scenarioKey !== this.options.scenarioKey) return `${name} runs another scenario (${hello.scenarioKey}) than shard 0 (${this.options.scenarioKey}); give every shard the same scenario flags`;
    if (this.arrivals.has(hello.index)) return `${name} is already at the rendezvous: two processes were given the same shard index`;
    return undefined;
  }

  private checkAllReady(): void {
    const ready = [...this.arrivals.values()].filter((arrival) => arrival.ready).length;
    if (ready === this.options.count - 1) this.settle?.();
  }

  private timeoutError(): InfrastructureError {
    const missing = Array.from({ length: this.options.count - 1 }, (_, i) => i + 1).filter((index) => this.arrivals.get(index)?.ready !== true);
    const names = missing.map((index) => shardName(index, this.options.count)).join(', ');
    return new InfrastructureError(
      'BARRIER_TIMEOUT',
      `${names} never reached the start barrier (all connections open) within ${this.options.timeoutMs / 1000} s, so no shard started its load; ` +
        `check ${missing.length === 1 ? 'its' : 'their'} logs (killed? cannot reach the target or shard 0?), or raise --barrier-timeout`,
    );
  }
}
