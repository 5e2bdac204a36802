export type Arm = 'a' | 'b';

/**
 * The run order of A/B trials: A B B A A B B A … Adjacent trials form a pair, and the order within a pair
 * alternates so a steady drift (a machine warming up, a neighbour starting) favours neither arm.
 */
export function interleavedSchedule(pairs: number): Arm[] {
  if (!Number.isInteger(pairs) || pairs < 0) {
    throw new RangeError(`Expected \`pairs\` to be a non-negative integer, got ${String(pairs)}`);
  }
  const order: Arm[] = [];
  for (let k = 0; k < pairs; k++) order.push(...(k % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)));
  return order;
}
