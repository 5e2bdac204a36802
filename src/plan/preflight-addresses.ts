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
