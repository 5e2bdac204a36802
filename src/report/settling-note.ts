import { formatMs } from '../format-numbers.js';

/**
 * The generator's settling period in words, for the generator line of every report: empty when the
 * measurement began right at the end of the warm-up (or the result predates settling).
 */
export function settlingNote(generator: { settleMs?: number; settled?: boolean }): string {
  if (generator.settled === false) {
    return (generator.settleMs ?? 0) > 0
      ? `; its send lag had not settled ${formatMs(generator.settleMs ?? 0)} past the warm-up, so the figures may include its start-up`
      : '; its send lag had not settled before the load ended, so the figures may include its start-up';
  }
  if (generator.settleMs === undefined || generator.settleMs <= 0) return '';
  return `; ${formatMs(generator.settleMs)} after the warm-up excluded too, until its send lag settled`;
}
