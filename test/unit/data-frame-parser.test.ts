import { describe, expect, it } from 'vitest';
import { DATA, DataFrameParser, INCOMPLETE, OTHER } from '../../src/driver/data-frame-parser.js';

/** A server frame: FIN, the opcode, unmasked, with the shortest length encoding. */
function frame(opcode: number, payload: Buffer, { fin = true, rsv = 0, masked = false } = {}): Buffer {
  const header = payload.length < 126 ? Buffer.from([0, payload.length]) : payload.length < 65536 ? Buffer.from([0, 126, payload.length >> 8, payload.length & 0xff]) : Buffer.alloc(10);
  if (payload.length >= 65536) {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  header[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  if (masked) header[1]! |= 0x80;
  return Buffer.concat([header, masked ? Buffer.alloc(4) : Buffer.alloc(0), payload]);
}

describe('DataFrameParser', () => {
  const parser = new DataFrameParser();

  it('reads back-to-back binary and text frames of every length encoding it handles', () => {
    const payloads = [Buffer.alloc(0), Buffer.alloc(125, 1), Buffer.alloc(126, 2), Buffer.alloc(65535, 3)];
    const buffer = Buffer.concat([frame(2, payloads[0]!), frame(1, payloads[1]!), frame(2, payloads[2]!), frame(2, payloads[3]!)]);
    let offset = 0;
    const seen: Array<[number, boolean]> = [];
    while (parser.next(buffer, offset) === DATA) {
      const payload = buffer.subarray(parser.payloadStart, parser.payloadEnd);
      seen.push([payload.length, parser.isBinary]);
      expect(payload.every((byte) => byte === payloads[seen.length - 1]![0] || payload.length === 0)).toBe(true);
      offset = parser.payloadEnd;
    }
    expect(seen).toEqual([[0, true], [125, false], [126, true], [65535, true]]);
    expect(offset).toBe(buffer.length);
    expect(parser.next(buffer, offset)).toBe(INCOMPLETE);
  });

  it('waits for the rest of a frame split anywhere, header included', () => {
    const whole = frame(2, Buffer.alloc(300, 7));
    for (const cut of [1, 2, 3, 4, 100, whole.length - 1]) expect(parser.next(whole.subarray(0, cut), 0)).toBe(INCOMPLETE);
    expect(parser.next(whole, 0)).toBe(DATA);
  });

  it('leaves to ws every frame it does not handle: control, fragments, reserved bits, masked, 64 KiB and more', () => {
    const payload = Buffer.alloc(4, 1);
    expect(parser.next(frame(0x9, payload), 0)).toBe(OTHER); // ping
    expect(parser.next(frame(0x8, Buffer.from([0x03, 0xe8])), 0)).toBe(OTHER); // close 1000
    expect(parser.next(frame(0xa, payload), 0)).toBe(OTHER); // pong
    expect(parser.next(frame(2, payload, { fin: false }), 0)).toBe(OTHER);
    expect(parser.next(frame(0, payload), 0)).toBe(OTHER); // continuation
    expect(parser.next(frame(2, payload, { rsv: 4 }), 0)).toBe(OTHER); // compressed
    expect(parser.next(frame(2, payload, { masked: true }), 0)).toBe(OTHER);
    expect(parser.next(frame(2, Buffer.alloc(65536)), 0)).toBe(OTHER);
  });
});
