import { UsageError } from '../../errors.js';
import type { WsbenchError } from '../../errors.js';
import type { CapacityEvent, CapacityListener } from '../../capacity/capacity-events.js';
import { DEFAULT_PROBE_HOLD_MS, DEFAULT_START_MESSAGES_PER_SEC, DEFAULT_START_RATE_PER_CONNECTION, runLimit } from '../../capacity/limit.js';
import type { LimitOptions } from '../../capacity/limit.js';
import { DEFAULT_MAX_PROBES } from '../../capacity/limit-search.js';
import { DEFAULT_RAMP_MESSAGE_BYTES } from '../../capacity/ramp-options.js';
import { formatLimitTable } from '../../capacity/ramp-table.js';
import { DEFAULT_MIN_ACHIEVED_RATIO, DEFAULT_SLO_P99_MS } from '../../capacity/stop-criteria-options.js';
import { formatCount, formatMs, formatRate } from '../../format-numbers.js';
import { checkResultOutputs, writeResultOutputs } from '../../report/result-outputs.js';
import { loadCommandConfig } from '../../scenario/config-scenario.js';
import { durationFlag, fractionFlag, integerFlag, numberFlag, stringFlag, withDefault } from '../flags/flag.js';
import { formatFlagHelp, pickFlags, readFlags } from '../flags/flag-table.js';
import { TRAFFIC_FLAGS } from '../flags/traffic-flags.js';
import { HELP_FLAG, MESSAGE_FLAGS, OUTPUT_FLAGS, QUIET_FLAG, TARGET_FLAGS, TARGETS_CONFIG_FLAG } from '../flags/shared-flags.js';
import { abortOnInterrupt } from '../interrupt.js';
import type { CommandOutput } from '../output.js';
import { progressFor } from '../output.js';
import { resolveTargetFlags } from '../target-flags.js';

// The search sets the rate; the rest of the message and traffic flags are run's.
const { rate: _searched, ...PROBE_MESSAGE_FLAGS } = MESSAGE_FLAGS;

const LIMIT_FLAGS = {
  ...TARGET_FLAGS,
  connections: integerFlag('connections', 'N', 'connections held during every probe'),
  'slo-p99': withDefault(durationFlag('sloP99Ms', 'D', 'p99 bound for a passing probe'), DEFAULT_SLO_P99_MS),
  'min-achieved': withDefault(fractionFlag('minAchievedRatio', 'F', 'achieved/offered bound for a passing probe'), DEFAULT_MIN_ACHIEVED_RATIO),
  'max-probes': withDefault(integerFlag('maxProbes', 'N', 'probe budget'), DEFAULT_MAX_PROBES),
  hold: withDefault(durationFlag('holdMs', 'D', "each probe's load time, the first second warm-up"), DEFAULT_PROBE_HOLD_MS),
  'start-rate': numberFlag('startRatePerConnection', 'R', `first probe's messages per second per connection (default: ${formatCount(DEFAULT_START_MESSAGES_PER_SEC)} msg/s\nin all, at least ${DEFAULT_START_RATE_PER_CONNECTION}/s per connection)`),
  ...PROBE_MESSAGE_FLAGS,
  size: withDefault(MESSAGE_FLAGS.size, DEFAULT_RAMP_MESSAGE_BYTES),
  ...TARGETS_CONFIG_FLAG,
  ...OUTPUT_FLAGS,
  json: stringFlag('json', 'FILE', 'write the LimitResult JSON'),
  html: stringFlag('html', 'FILE', 'write an HTML report: each probe, pass or fail, and the maximum'),
  md: stringFlag('md', 'FILE', 'write a Markdown report (the summary first, a table of the probes)'),
  ...QUIET_FLAG,
  ...HELP_FLAG,
};

export const LIMIT_USAGE = `Usage: wsbench limit [--target SPEC | --url ws://H:P/PATH] --connections N [options]

At a fixed number of connections, finds the highest sustainable message rate: exponential growth of
the offered rate per connection, then bisection, within --max-probes probes on one target process and
one set of open connections. A probe passes when p99 ≤ --slo-p99, achieved ≥ --min-achieved × offered
and the load generator did not saturate. Reports the max msg/s and the bytes/s it means.

${formatFlagHelp(LIMIT_FLAGS)}
`;

export async function limitCommand(args: string[], output: CommandOutput): Promise<number> {
  const { options } = readFlags('limit', args, LIMIT_FLAGS);
  if (options.help === true) {
    output.stdout(LIMIT_USAGE);
    return 0;
  }
  const { connections } = options;
  if (connections === undefined) throw new UsageError('MISSING_FLAG', 'needs --connections N, e.g. --connections 1000. See wsbench limit --help', { command: 'limit' });
  const config = await loadCommandConfig({ configFile: options.configFile });
  const { target, definition } = resolveTargetFlags('limit', options, config.loaded.targets);
  checkResultOutputs(options);
  const limit: LimitOptions = { ...options, target, connections, traffic: pickFlags(TRAFFIC_FLAGS, options) };

  let probeLabel: string | undefined;
  const progress = progressFor(output, options.quiet === true, () => probeLabel);
  const onEvent: CapacityListener = (event: CapacityEvent) => {
    if (event.type === 'limit-probe') probeLabel = `probe ${event.index + 1}/${event.maxProbes} at ${event.ratePerConnection}/s per conn`;
    if (event.type === 'limit-probe-done' && options.quiet !== true) {
      progress.finish();
      const { probe } = event;
      output.stderr(`probe ${probe.index + 1}/${event.maxProbes}: ${probe.ratePerConnection}/s per conn · ${formatRate(probe.achievedPerSec)} of ${formatRate(probe.offeredPerSec)} offered · p99 ${formatMs(probe.latencyMs?.p99)} · ${probe.passed ? 'pass' : `fail (${probe.reasons.map((reason) => reason.split(':')[0]).join(', ')})`}\n`);
      return;
    }
    progress(event);
  };
  const interrupt = abortOnInterrupt(() => output.stderr('\ninterrupted: stopping the search and writing what was measured (Ctrl-C again to quit at once)\n'));
  let failure: WsbenchError | undefined;
  try {
    const outcome = await runLimit(limit, { definition, signal: interrupt.signal, onEvent });
    failure = outcome.failure;
    progress.finish();
    const { written, failure: unwritten } = writeResultOutputs(outcome.result, options);
    output.stdout(`${formatLimitTable(outcome.result)}\n`);
    for (const file of written) output.stdout(`  written     ${file}\n`);
    if (unwritten !== undefined) {
      if (failure === undefined) failure = unwritten;
      else output.stderr(`wsbench: ${unwritten.message}\n`);
    }
  } finally {
    interrupt.dispose();
  }
  if (failure !== undefined) throw failure;
  return 0;
}
