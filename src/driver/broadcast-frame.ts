/**
 * The binary frame a broadcast publisher sends: [sequence u32][marker u32][intended send time, epoch µs,
 * f64][publisher u32], then filler. Subscribers read the intended time from the frame itself, so a
 * delivery's latency needs no bookkeeping shared between the publisher's and the subscriber's processes:
 * both run on this host, on one clock.
 */
export const BROADCAST_MAGIC = 0x42425357; // "WSBB", little-endian
export const MIN_BROADCAST_BYTES = 20;

export function writeBroadcastFrame(frame: Buffer, sequence: number, intendedEpochUs: number, publisher: number): void {
  frame.writeUInt32LE(sequence >>> 0, 0);
  frame.writeUInt32LE(BROADCAST_MAGIC, 4);
  frame.writeDoubleLE(intendedEpochUs, 8);
  frame.writeUInt32LE(publisher >>> 0, 16);
}

export function createBroadcastFrame(messageBytes: number): Buffer {
  return Buffer.alloc(Math.max(MIN_BROADCAST_BYTES, messageBytes), 0x61);
}

/** The intended send time (epoch µs) a delivered frame carries, or NaN when it is not a broadcast frame. */
export function intendedEpochUsOf(data: Buffer): number {
  if (data.length < MIN_BROADCAST_BYTES || data.readUInt32LE(4) !== BROADCAST_MAGIC) return Number.NaN;
  return data.readDoubleLE(8);
}
