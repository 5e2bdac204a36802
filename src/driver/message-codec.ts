import type { MessageSpec, ReplyMatch, TemplatePlaceholder } from './message-spec.js';

/**
 * Builds the request a connection sends and reads back which request a reply answers, for every
 * traffic shape except the binary echo (which the load phase does inline, at its old cost).
 */
export interface MessageCodec {
  /** Requests go out as text frames. */
  readonly text: boolean;
  /** Replies must be this many bytes (an echo), or null when a server answers with a message of its own. */
  readonly echoBytes: number | null;
  /** Replies may come back in any order (a server that answers requests concurrently). */
  readonly unordered: boolean;
  build(sequence: number, conn: number, intendedEpochUs: number): Buffer | string;
  /** The sequence number the reply carries, or -1 when it carries none we sent (unmatched). */
  sequenceOf(data: Buffer): number;
}

/** `wsbench ` + 10 digits: the text payload's header; the rest is filler, no newline. */
export const TEXT_HEADER = 'wsbench ';
const TEXT_HEADER_BYTES = Buffer.from(TEXT_HEADER, 'latin1');
const SEQUENCE_DIGITS = 10;
export const MIN_TEXT_PAYLOAD_BYTES = TEXT_HEADER.length + SEQUENCE_DIGITS;
const FILLER = 0x61; // 'a'
const DIGIT_0 = 0x30;

/** The codec for a spec, or null for the binary echo the load phase handles itself. */
export function createMessageCodec(spec: MessageSpec, messageBytes: number): MessageCodec | null {
  if (spec.template !== undefined) {
    if (spec.match === undefined) throw new RangeError('a message template needs a reply match');
    return new TemplateCodec(spec.template, messageBytes, compileMatch(spec.match));
  }
  if (spec.payload === 'text') return new TextEchoCodec(messageBytes);
  return null;
}

/** Printable ASCII `wsbench 0000000042 aaaa…` of exactly `--size` bytes: what a text-line echo server wants. */
class TextEchoCodec implements MessageCodec {
  readonly text = true;
  readonly unordered = false;
  readonly echoBytes: number;
  private readonly buffer: Buffer;

  constructor(messageBytes: number) {
    this.buffer = Buffer.alloc(Math.max(MIN_TEXT_PAYLOAD_BYTES, messageBytes), FILLER);
    this.buffer.write(TEXT_HEADER, 0, 'latin1');
    this.echoBytes = this.buffer.length;
  }

  build(sequence: number): Buffer {
    let value = sequence;
    for (let index = MIN_TEXT_PAYLOAD_BYTES - 1; index >= TEXT_HEADER.length; index--) {
      this.buffer[index] = DIGIT_0 + (value % 10);
      value = Math.floor(value / 10);
    }
    // `ws` copies the bytes while masking them, so the one buffer is reused.
    return this.buffer;
  }

  sequenceOf(data: Buffer): number {
    if (data.length < MIN_TEXT_PAYLOAD_BYTES || data.compare(TEXT_HEADER_BYTES, 0, TEXT_HEADER_BYTES.length, 0, TEXT_HEADER_BYTES.length) !== 0) return -1;
    let value = 0;
    for (let index = TEXT_HEADER.length; index < MIN_TEXT_PAYLOAD_BYTES; index++) {
      const digit = data[index]! - DIGIT_0;
      if (digit < 0 || digit > 9) return -1;
      value = value * 10 + digit;
    }
    return value;
  }
}

type Part = string | TemplatePlaceholder;

/** A user's text message, with placeholders filled per message and `{{pad}}` grown to reach `--size`. */
class TemplateCodec implements MessageCodec {
  readonly text = true;
  readonly echoBytes = null;
  readonly unordered = true;
  private readonly parts: Part[];
  private readonly hasPad: boolean;
  private readonly pads = new Map<number, string>();

  constructor(
    template: string,
    private readonly messageBytes: number,
    private readonly match: (text: string) => number,
  ) {
    this.parts = parseTemplate(template);
    this.hasPad = this.parts.includes('pad');
  }

  build(sequence: number, conn: number, intendedEpochUs: number): string {
    let head = '';
    let tail = '';
    let padSeen = false;
    for (const part of this.parts) {
      const text = part === 'seq' ? String(sequence) : part === 'conn' ? String(conn) : part === 'ts' ? String(Math.round(intendedEpochUs)) : part === 'pad' ? '' : part;
      if (part === 'pad') padSeen = true;
      else if (padSeen) tail += text;
      else head += text;
    }
    if (!this.hasPad) return head;
    const padBytes = Math.max(0, this.messageBytes - Buffer.byteLength(head) - Buffer.byteLength(tail));
    return head + this.padOf(padBytes) + tail;
  }

  sequenceOf(data: Buffer): number {
    return this.match(data.toString('utf8'));
  }

  private padOf(bytes: number): string {
    let pad = this.pads.get(bytes);
    if (pad === undefined) {
      pad = 'x'.repeat(bytes);
      this.pads.set(bytes, pad);
    }
    return pad;
  }
}

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/** Literal text and placeholders, in order. Unknown placeholders were rejected when the options were read. */
export function parseTemplate(template: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push(template.slice(last, match.index));
    parts.push(match[1] as TemplatePlaceholder);
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return parts;
}

/** A reply's text → the sequence number it names, or -1. A number or a string of digits counts. */
export function compileMatch(match: ReplyMatch): (text: string) => number {
  if (match.kind === 'regex') {
    const regex = new RegExp(match.source);
    return (text) => toSequence(regex.exec(text)?.[1]);
  }
  const path = match.path;
  return (text) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return -1;
    }
    for (const key of path) {
      if (typeof value !== 'object' || value === null) return -1;
      value = (value as Record<string, unknown>)[key];
    }
    return toSequence(value);
  };
}

function toSequence(value: unknown): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  return Number.isSafeInteger(number) && number >= 0 ? number : -1;
}
