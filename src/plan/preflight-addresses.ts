import type { WorkerPlan } from './load-plan.js';

/**
 * Source addresses for the driver's sockets. All of 127.0.0.0/8 is loopback on Linux with no setup,
 * and each address has its own ephemeral port range, so spreading connections over 127.0.0.2, .3, …
 * lifts the ~28K-per-address port limit. 127.0.0.1 is left to the target and other programs.
 */

/** Index 0 is 127.0.0.2; the last is 127.255.255.254 (127.255.255.255 is the broadcast address). */
export const MAX_SOURCE_ADDRESSES = 2 ** 24 - 3;

const FIRST_HOST = 2;

/** The `index`-th source address (0-based): 0 → 127.0.0.2, 254 → 127.0.1.0. */
export function sourceAddress(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_SOURCE_ADDRESSES) {
    throw new RangeError(`Expected a source address index in 0..${MAX_SOURCE_ADDRESSES - 1}, got ${index}`);
  }
  const host = FIRST_HOST + index;
  return `127.${(host >>> 16) & 255}.${(host >>> 8) & 255}.${host & 255}`;
}

/** Splits `total` into `parts` near-equal integers, larger ones first: (10, 3) → [4, 3, 3]. */
export function splitEvenly(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const remainder = total % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < remainder ? 1 : 0));
}

/** Whole addresses per worker, consecutive from 127.0.0.2, each carrying at most `perAddress`. */
export function assignAddresses(perWorker: number[], perAddress: number, offset: number): WorkerPlan[] {
  let next = offset;
  return perWorker.map((connections, index) => {
    const counts = splitEvenly(connections, Math.ceil(connections / perAddress));
    const sourceAddresses = counts.map((n) => ({ address: sourceAddress(next++), connections: n }));
    return { index, connections, sourceAddresses };
  });
}

/**
 * Given addresses (or none: the kernel picks one per route) dealt to workers in turn, whole addresses per
 * worker. Without addresses, every connection shares the route's one source address and its ports.
 */
export function assignGivenAddresses(perWorker: number[], addresses: readonly string[], budget: number, errors: string[]): WorkerPlan[] {
  const total = perWorker.reduce((sum, n) => sum + n, 0);
  if (addresses.length === 0) {
    if (total > budget) {
      errors.push(
        `${total} connections from one source address need more than its ${budget} usable ephemeral ports; ` +
          `give --source-addresses with at least ${Math.ceil(total / budget)} addresses of this host, or widen net.ipv4.ip_local_port_range`,
      );
    }
    return perWorker.map((connections, index) => ({ index, connections, sourceAddresses: [] }));
  }
  if (addresses.length < perWorker.length) {
    errors.push(`--source-addresses gives ${addresses.length} addresses for ${perWorker.length} driver processes; each process needs its own (give more addresses, or fewer --workers)`);
    return [];
  }
  return perWorker.map((connections, index) => {
    const own = addresses.filter((_, position) => position % perWorker.length === index);
    if (connections > own.length * budget) {
      errors.push(`driver process ${index} has ${connections} connections over ${own.length} source addresses of at most ${budget} each; give more --source-addresses`);
    }
    const counts = splitEvenly(connections, own.length);
    return { index, connections, sourceAddresses: own.map((address, i) => ({ address, connections: counts[i]! })) };
  });
}
