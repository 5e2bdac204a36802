/**
 * The search for the highest sustainable rate, on an oracle that says whether a rate holds.
 * Method: exponential growth from the start rate (×`growthFactor` while probes pass; ÷ while the
 * first ones fail) to bracket the limit, then bisection of the bracket until it is narrower than
 * `precision` (relative) or the probe budget is spent. Assumes monotonicity: a rate above a failing
 * one fails too. Pure apart from the oracle, so it is tested against a synthetic pass/fail function.
 */

export const DEFAULT_MAX_PROBES = 8;
export const DEFAULT_GROWTH_FACTOR = 2;
/** Stop bisecting when (high − low) / low is below this. */
export const DEFAULT_SEARCH_PRECISION = 0.05;

export interface SearchOptions {
  startRate: number;
  maxProbes: number;
  growthFactor?: number;
  precision?: number;
  /**
   * While bracketing, the next rate to try after `rate` gave `verdict`, from what the probe measured (the
   * server's CPU per message, the rate a failing probe did achieve); undefined = grow or shrink by
   * `growthFactor`. Kept inside the known bracket, so a bad estimate costs probes, never correctness.
   */
  propose?: (rate: number, verdict: 'pass' | 'fail') => number | undefined;
}

/** What a probe found: it passed, it failed, or the search cannot go on (the server died). */
export type ProbeVerdict = 'pass' | 'fail' | 'abort';

export interface SearchOutcome {
  /** Highest rate that passed; null when none did. */
  maxRate: number | null;
  /** Lowest rate that failed above it; null when none did. */
  failRate: number | null;
  probed: Array<{ rate: number; verdict: ProbeVerdict }>;
  aborted: boolean;
}

export async function searchMaxRate(options: SearchOptions, probe: (rate: number, index: number) => Promise<ProbeVerdict>): Promise<SearchOutcome> {
  const growth = options.growthFactor ?? DEFAULT_GROWTH_FACTOR;
  const precision = options.precision ?? DEFAULT_SEARCH_PRECISION;
  const probed: SearchOutcome['probed'] = [];
  let low: number | null = null;
  let high: number | null = null;
  const run = async (rate: number): Promise<ProbeVerdict> => {
    const verdict = await probe(rate, probed.length);
    probed.push({ rate, verdict });
    if (verdict === 'pass') low = rate;
    if (verdict === 'fail') high = rate;
    return verdict;
  };
  const outcome = (aborted: boolean): SearchOutcome => ({ maxRate: low, failRate: high, probed, aborted });

  let rate = options.startRate;
  // Bracket: grow while passing, shrink while failing.
  while (probed.length < options.maxProbes && (low === null || high === null)) {
    const verdict = await run(rate);
    if (verdict === 'abort') return outcome(true);
    const fallback = verdict === 'pass' ? rate * growth : rate / growth;
    const proposed = options.propose?.(rate, verdict);
    rate = proposed === undefined || !inside(proposed, verdict === 'pass' ? rate : low, verdict === 'fail' ? rate : high) ? fallback : roundRate(proposed);
  }
  // Bisect the bracket.
  while (probed.length < options.maxProbes && low !== null && high !== null && (high - low) / low > precision) {
    const verdict = await run(roundRate((low + high) / 2));
    if (verdict === 'abort') return outcome(true);
  }
  return outcome(false);
}

function inside(rate: number, above: number | null, below: number | null): boolean {
  return Number.isFinite(rate) && rate > 0 && (above === null || rate > above) && (below === null || rate < below);
}

/** Three significant digits: a probe rate nobody has to squint at. */
export function roundRate(rate: number): number {
  return rate <= 0 ? rate : Number(rate.toPrecision(3));
}
