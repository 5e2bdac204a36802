import { UsageError } from '../errors.js';
import type { MetricName } from '../scenario/metric-name.js';
import { METRIC_SPECS, isMetricName } from './metric-catalog.js';

/**
 * `--gate cpuPerMessage=3 --gate p99=25,throughput=4` → gate magnitudes. They override the scenario's
 * `gates:` and the defaults. Every bad entry is reported at once, before any load starts.
 */
export function parseGateFlags(values: readonly string[] | undefined, flag = '--gate'): Partial<Record<MetricName, number>> {
  const gates: Partial<Record<MetricName, number>> = {};
  const problems: string[] = [];
  const known = METRIC_SPECS.map((spec) => spec.metric).join(', ');
  for (const entry of (values ?? []).flatMap((value) => value.split(','))) {
    const match = /^\s*([A-Za-z0-9]+)\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*%?\s*$/.exec(entry);
    if (match === null) {
      problems.push(`Expected ${flag} METRIC=PERCENT (e.g. cpuPerMessage=5), got ${JSON.stringify(entry)}`);
      continue;
    }
    const [, name = '', percent = ''] = match;
    const metric = name.replace(/Percent$/, '');
    if (!isMetricName(metric)) {
      problems.push(`Unknown metric ${JSON.stringify(name)} in ${flag} ${JSON.stringify(entry)}; known: ${known}`);
      continue;
    }
    gates[metric] = Number(percent);
  }
  if (problems.length > 0) throw new UsageError('INVALID_GATE', problems.join('\n'));
  return gates;
}
