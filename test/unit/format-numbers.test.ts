import { describe, expect, it } from 'vitest';
import { formatMessageRate, formatRate } from '../../src/format-numbers.js';

describe('formatRate', () => {
  it('picks the unit on the value as printed, so a rate just under a boundary reads like the boundary', () => {
    expect(formatRate(999_999.6)).toBe('1.00M/s');
    expect(formatRate(999_940)).toBe('999.9k/s');
    expect(formatRate(9_999.6)).toBe('10.0k/s');
    expect(formatRate(9_999.4)).toBe('9999/s');
    expect(formatRate(99.96)).toBe('100/s');
    expect(formatRate(99.94)).toBe('99.9/s');
  });

  it('prints each range with the digits that matter', () => {
    expect(formatRate(0)).toBe('0.0/s');
    expect(formatRate(512)).toBe('512/s');
    expect(formatRate(24_000)).toBe('24.0k/s');
    expect(formatRate(2_500_000)).toBe('2.50M/s');
  });

  it('says msg/s once for a message rate', () => {
    expect(formatMessageRate(24_000)).toBe('24.0k msg/s');
    expect(formatMessageRate(999_999.6)).toBe('1.00M msg/s');
  });
});
