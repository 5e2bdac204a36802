import type { TrafficOptions } from './traffic-options.js';

/**
 * The traffic options a result was measured with, as the result JSON keeps them (`scenario.traffic`,
 * `ramp.traffic`, `search.traffic`): what a reader needs to know what was measured, and what the report's
 * "Reproduce locally" command repeats. Header values are left out (an `Authorization` header is a
 * credential, and results are shared): `headerNames` keeps their names, in order.
 */
export type TrafficRecord = Omit<TrafficOptions, 'headers'> & { headerNames?: string[] };

/** Only what was set; undefined when nothing was (plain binary echo), so default results stay as they were. */
export function recordTraffic(traffic: TrafficOptions | undefined): TrafficRecord | undefined {
  if (traffic === undefined) return undefined;
  const { headers, ...rest } = traffic;
  const record: TrafficRecord = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  if (headers !== undefined && headers.length > 0) record.headerNames = headers.map(([name]) => name);
  return Object.keys(record).length === 0 ? undefined : record;
}
