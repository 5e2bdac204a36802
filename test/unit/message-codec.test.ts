import { describe, expect, it } from 'vitest';
import { compileMatch, createMessageCodec, MIN_TEXT_PAYLOAD_BYTES, parseTemplate } from '../../src/driver/message-codec.js';
import { checkTraffic, parseMatch, parseTemplate as checkTemplate } from '../../src/scenario/traffic-options.js';

describe('text payload', () => {
  it('is printable ASCII of exactly --size bytes with the sequence number in text and no newline', () => {
    const codec = createMessageCodec({ payload: 'text' }, 40)!;
    const message = Buffer.from(codec.build(42, 0, 0));
    expect(message.length).toBe(40);
    expect(message.toString('latin1')).toMatch(/^wsbench 0000000042a+$/);
    expect([...message].every((byte) => byte >= 0x20 && byte < 0x7f)).toBe(true);
    expect(codec.text).toBe(true);
    expect(codec.sequenceOf(message)).toBe(42);
  });

  it('reads back the sequence of an echo and refuses anything else', () => {
    const codec = createMessageCodec({ payload: 'text' }, 64)!;
    expect(codec.sequenceOf(Buffer.from(codec.build(7, 0, 0)))).toBe(7);
    expect(codec.sequenceOf(Buffer.from('hello world, this is not ours'))).toBe(-1);
    expect(codec.sequenceOf(Buffer.from('wsbench 00000x0042'))).toBe(-1);
    expect(codec.sequenceOf(Buffer.from('wsbench'))).toBe(-1);
    expect(MIN_TEXT_PAYLOAD_BYTES).toBe(18);
  });

  it('the binary echo has no codec: the load phase keeps its own inline path', () => {
    expect(createMessageCodec({ payload: 'binary' }, 64)).toBeNull();
  });
});

describe('message templates', () => {
  it('fills {{seq}} {{conn}} {{ts}} and pads to --size with {{pad}}', () => {
    const codec = createMessageCodec({ payload: 'text', template: '{"id":{{seq}},"c":{{conn}},"ts":{{ts}},"pad":"{{pad}}"}', match: { kind: 'json', path: ['id'] } }, 100)!;
    const text = String(codec.build(12, 3, 1700000000123456.2));
    expect(Buffer.byteLength(text)).toBe(100);
    const parsed = JSON.parse(text) as { id: number; c: number; ts: number; pad: string };
    expect(parsed).toMatchObject({ id: 12, c: 3, ts: 1700000000123456 });
    expect(parsed.pad).toMatch(/^x+$/);
  });

  it('leaves {{pad}} empty when the rest already reaches --size, and never pads without it', () => {
    const codec = createMessageCodec({ payload: 'text', template: '{{seq}}:{{pad}}', match: { kind: 'regex', source: '^(\\d+):' } }, 2)!;
    expect(codec.build(123, 0, 0)).toBe('123:');
    const plain = createMessageCodec({ payload: 'text', template: 'ping {{seq}}', match: { kind: 'regex', source: 'pong (\\d+)' } }, 100)!;
    expect(plain.build(5, 0, 0)).toBe('ping 5');
    expect(plain.sequenceOf(Buffer.from('pong 5'))).toBe(5);
    expect(parseTemplate('a{{seq}}b{{pad}}')).toEqual(['a', 'seq', 'b', 'pad']);
  });

  it('json:PATH reads a number or a string of digits at a dotted path; anything else matches nothing', () => {
    const match = compileMatch({ kind: 'json', path: ['meta', 'id'] });
    expect(match('{"meta":{"id":9}}')).toBe(9);
    expect(match('{"meta":{"id":"10"}}')).toBe(10);
    expect(match('{"meta":{"id":null}}')).toBe(-1);
    expect(match('{"meta":7}')).toBe(-1);
    expect(match('not json')).toBe(-1);
    expect(match('{"meta":{"id":-1}}')).toBe(-1);
  });

  it('checks the flags: known placeholders, a capture group, a template with {{seq}} and a match', () => {
    expect(() => checkTemplate('{{seq}} {{nope}}', '--message')).toThrow(/unknown placeholder \{\{nope\}\}/);
    expect(() => parseMatch('regex:\\d+', '--match')).toThrow(/capture group/);
    expect(() => parseMatch('regex:(', '--match')).toThrow(/not a valid regular expression/);
    expect(() => parseMatch('xpath:/a', '--match')).toThrow(/json:PATH or regex:RE/);
    expect(parseMatch('json:a.b', '--match')).toEqual({ kind: 'json', path: ['a', 'b'] });
    const scenario = { connections: 10, messageBytes: 256 };
    expect(() => checkTraffic({ messageTemplate: '{{seq}}' }, scenario)).toThrow(/--message needs --match/);
    expect(() => checkTraffic({ match: { kind: 'json', path: ['id'] } }, scenario)).toThrow(/give --message too/);
    expect(() => checkTraffic({ messageTemplate: 'x', match: { kind: 'json', path: ['id'] } }, scenario)).toThrow(/must contain \{\{seq\}\}/);
    expect(() => checkTraffic({ payload: 'text' }, { connections: 1, messageBytes: 10 })).toThrow(/at least 18 bytes/);
    expect(() => checkTraffic({ pattern: 'broadcast', publishers: 10 }, scenario)).toThrow(/no subscriber/);
    expect(() => checkTraffic({ publishers: 2 }, scenario)).toThrow(/--pattern broadcast/);
  });
});
