/**
 * The receive fast path's frame parser: it recognises only the frames an echo benchmark lives on —
 * complete, unfragmented, unmasked binary or text frames under 64 KiB, reserved bits clear — and reports
 * anything else as OTHER, for `ws`'s full parser to take over (control frames, fragments, a masking or
 * misbehaving server, large frames). It keeps no state: the caller keeps the unparsed tail, and one parser
 * serves every connection (single-threaded, used synchronously), so the fast path costs no object per
 * connection.
 */
export const DATA = 0;
export const INCOMPLETE = 1;
export const OTHER = 2;
export type FrameKind = typeof DATA | typeof INCOMPLETE | typeof OTHER;

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;

export class DataFrameParser {
  /** After a DATA result: where the frame's payload starts and ends in the buffer, and its type. */
  payloadStart = 0;
  payloadEnd = 0;
  isBinary = true;

  /** Looks at the frame starting at `offset`. */
  next(buffer: Buffer, offset: number): FrameKind {
    const available = buffer.length - offset;
    if (available < 2) return INCOMPLETE;
    const first = buffer[offset]!;
    const second = buffer[offset + 1]!;
    const opcode = first & 0x0f;
    // FIN set, no reserved bits, text or binary; a server's frames are never masked.
    if ((first & 0xf0) !== 0x80 || (opcode !== OPCODE_BINARY && opcode !== OPCODE_TEXT) || (second & 0x80) !== 0) return OTHER;
    let length = second & 0x7f;
    let headerBytes = 2;
    if (length === 127) return OTHER;
    if (length === 126) {
      if (available < 4) return INCOMPLETE;
      length = buffer.readUInt16BE(offset + 2);
      headerBytes = 4;
    }
    if (available < headerBytes + length) return INCOMPLETE;
    this.payloadStart = offset + headerBytes;
    this.payloadEnd = this.payloadStart + length;
    this.isBinary = opcode === OPCODE_BINARY;
    return DATA;
  }
}
