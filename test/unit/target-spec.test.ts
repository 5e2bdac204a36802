import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { gobwasTarget, nodeTarget } from '../../src/targets/builtin-targets.js';
import { knobArguments } from '../../src/targets/target-definition.js';
import { formatTargetSpec, parseTargetSpec } from '../../src/targets/target-spec.js';
import { parseBytes, parseDurationMs, parsePositiveInteger } from '../../src/units.js';

describe('target SPEC', () => {
  it('parses a name, a git ref and knob values', () => {
    expect(parseTargetSpec('gobwas@v1.2.0:model=epoll,read-buffer=4KiB')).toEqual({
      name: 'gobwas',
      gitRef: 'v1.2.0',
      knobs: { model: 'epoll', 'read-buffer': '4KiB' },
      text: 'gobwas@v1.2.0:model=epoll,read-buffer=4KiB',
    });
    expect(parseTargetSpec('node')).toEqual({ name: 'node', knobs: {}, text: 'node' });
  });

  it('formats back to the same text', () => {
    expect(formatTargetSpec(parseTargetSpec('gobwas@main:model=epoll,write=batch'))).toBe('gobwas@main:model=epoll,write=batch');
  });

  it.each([
    ['', /target name is missing/],
    ['gobwas:', /nothing follows the colon/],
    ['gobwas:model', /"model" is not KEY=VALUE/],
    ['gobwas:model=epoll,model=goroutine', /given twice/],
    ['gobwas@:model=epoll', /git ref after @ is empty/],
  ])('rejects %j with a message naming --target and the problem', (text, problem) => {
    expect(() => parseTargetSpec(text)).toThrow(UsageError);
    expect(() => parseTargetSpec(text)).toThrow(problem);
    expect(() => parseTargetSpec(text)).toThrow(/--target/);
  });

  it('turns knobs into the fixture\'s flags and rejects unknown knobs and bad values by name', () => {
    expect(knobArguments(gobwasTarget, { model: 'epoll', 'read-buffer': '4KiB', write: 'batch' })).toEqual(['--model', 'epoll', '--read-buffer', '4096', '--write', 'batch']);
    expect(() => knobArguments(gobwasTarget, { modle: 'epoll' })).toThrow(/no knob "modle"\. Did you mean "model"\? Its knobs are: model, read-buffer/);
    expect(() => knobArguments(gobwasTarget, { model: 'threads' })).toThrow(/knob model to be one of goroutine \| epoll; got "threads"/);
    expect(() => knobArguments(gobwasTarget, { procs: '0' })).toThrow(/knob procs to be a positive integer/);
    expect(knobArguments(gobwasTarget, { 'inject-delay-us': '0' })).toEqual(['--inject-delay-us', '0']);
  });

  it('declares the injected regressions of both fixtures, bounded like the fixtures bound them', () => {
    for (const target of [gobwasTarget, nodeTarget]) {
      expect(knobArguments(target, parseTargetSpec('gobwas:inject-alloc-bytes=2048').knobs)).toEqual(['--inject-alloc-bytes', '2048']);
      expect(knobArguments(target, { 'inject-alloc-bytes': '2KiB', 'inject-lock-us': '200' })).toEqual(['--inject-alloc-bytes', '2048', '--inject-lock-us', '200']);
      expect(knobArguments(target, { 'inject-lock-us': '0' })).toEqual(['--inject-lock-us', '0']);
    }
    expect(() => knobArguments(gobwasTarget, { 'inject-alloc-bytes': 'lots' })).toThrow(/knob inject-alloc-bytes to be a size in bytes/);
    expect(() => knobArguments(gobwasTarget, { 'inject-alloc-bytes': '65MiB' })).toThrow(/knob inject-alloc-bytes to be at most 67108864 bytes; got "65MiB"/);
    expect(() => knobArguments(gobwasTarget, { 'inject-lock-us': '-5' })).toThrow(/knob inject-lock-us must be positive/);
    expect(() => knobArguments(gobwasTarget, { 'inject-lock-us': '10000001' })).toThrow(/knob inject-lock-us to be at most 10000000/);
    expect(() => knobArguments(gobwasTarget, { 'inject-delay-us': '99999999' })).toThrow(UsageError);
  });
});

describe('units', () => {
  it('parses durations and sizes with their units', () => {
    expect(parseDurationMs('10s', '--duration')).toBe(10_000);
    expect(parseDurationMs('250ms', '--duration')).toBe(250);
    expect(parseDurationMs('1.5m', '--duration')).toBe(90_000);
    expect(parseBytes('256', '--size')).toBe(256);
    expect(parseBytes('1KB', '--size')).toBe(1000);
    expect(parseBytes('4KiB', '--size')).toBe(4096);
    expect(parseBytes('1MB', '--size')).toBe(1_000_000);
  });

  it('names the option, the expectation and the value received', () => {
    expect(() => parseDurationMs('10', '--duration')).toThrow('Expected --duration to be a duration with a unit (ms, s or m), e.g. 10s or 500ms; got "10" (string)');
    expect(() => parseBytes('big', '--size')).toThrow(/Expected --size to be a size in bytes.*got "big" \(string\)/);
    expect(() => parsePositiveInteger('-1', '--connections')).toThrow('--connections must be positive; got "-1" (string). Give e.g. 1000');
    expect(() => parsePositiveInteger('0', '--connections')).toThrow('Expected --connections to be a positive integer, e.g. 1000; got "0" (string)');
    expect(() => parsePositiveInteger('1.5', '--connections')).toThrow(UsageError);
  });
});
