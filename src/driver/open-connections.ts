import { performance } from 'node:perf_hooks';
import type { ClientConnection, Dial } from './client-transport.js';
import { dialErrorCode } from './client-transport.js';
import type { HandshakeOptions } from './handshake-options.js';
import { createHistogram, recordMicros } from '../metrics/latency-histogram.js';
import type { Histogram } from '../metrics/latency-histogram.js';

export interface OpenConnectionsOptions {
  dial: Dial;
  url: string;
  count: number;
  localAddresses: readonly string[];
  /** Handshakes in flight at once: a storm of thousands of SYNs overflows the accept queue and stalls on retries. */
  concurrency: number;
  handshakeTimeoutMs: number;
  handshake?: HandshakeOptions;
  /** Where each successful handshake's duration (µs, dial to open) goes; a fresh histogram when absent. */
  handshakeHistogram?: Histogram;
  onProgress?: (progress: { attempted: number; established: number; failed: number }) => void;
  signal?: AbortSignal;
}

export interface OpenedConnections {
  connections: ClientConnection[];
  attempted: number;
  failed: number;
  errorsByCode: Record<string, number>;
  /** Dial-to-open time of every established connection, microseconds. */
  handshakeHistogram: Histogram;
}

/** Opens `count` connections with at most `concurrency` handshakes in flight, binding source addresses in turn. */
export async function openConnections(options: OpenConnectionsOptions): Promise<OpenedConnections> {
  const connections: ClientConnection[] = [];
  const errorsByCode: Record<string, number> = {};
  let attempted = 0;
  let failed = 0;
  const handshakeHistogram = options.handshakeHistogram ?? createHistogram();

  const dialNext = async (): Promise<void> => {
    while (attempted < options.count && options.signal?.aborted !== true) {
      const index = attempted++;
      const addresses = options.localAddresses;
      const localAddress = addresses.length === 0 ? undefined : addresses[index % addresses.length];
      const dialedMs = performance.now();
      try {
        const connection = await options.dial(options.url, {
          handshakeTimeoutMs: options.handshakeTimeoutMs,
          ...(options.handshake === undefined ? {} : { handshake: options.handshake }),
          ...(localAddress === undefined ? {} : { localAddress }),
        });
        recordMicros(handshakeHistogram, (performance.now() - dialedMs) * 1000);
        connections.push(connection);
      } catch (error) {
        failed++;
        const code = dialErrorCode(error);
        errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
      }
      options.onProgress?.({ attempted, established: connections.length, failed });
    }
  };

  const lanes = Math.max(1, Math.min(options.concurrency, options.count));
  await Promise.all(Array.from({ length: lanes }, dialNext));
  return { connections, attempted, failed, errorsByCode, handshakeHistogram };
}
