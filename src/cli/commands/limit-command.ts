import { UsageError } from '../../errors.js';
import type { WsbenchError } from '../../errors.js';
import { runLimit } from '../../capacity/limit.js';
import type { LimitOptions } from '../../capacity/limit.js';
import { formatLimitTable } from '../../capacity/ramp-table.js';
import { loadCommandConfig } from '../../scenario/config-scenario.js';
import { checkResultOutputs, writeResultOutputs } from '../../report/result-outputs.js';
import { formatMs, formatRate } from '../../format-numbers.js';
import type { CapacityEvent, CapacityListener } from '../../capacity/capacity-events.js';
import { DEFAULT_RAMP_MESSAGE_BYTES } from '../../capacity/ramp-options.js';
import { parseBytes, parseDurationMs, parseFraction, parsePositiveInteger, parsePositiveNumber } from '../../units.js';
import { abortOnInterrupt } from '../interrupt.js';
import type { CommandOutput } from '../output.js';
import { progressFor } from '../output.js';
import { parseFlags } from '../parse-flags.js';
import { resolveTargetFlags } from '../target-flags.js';

export const LIMIT_USAGE = `Usage: wsbench limit [--target SPEC | --url ws://H:P/PATH] --connections N [options]

At a fixed number of connections, finds the highest sustainable message rate: exponential growth of
the offered rate per connection, then bisection, within --max-probes probes on one target process and
one set of open connections. A probe passes when p99 ≤ --slo-p99, achieved ≥ --min-achieved × offered
and the load generator did not saturate. Reports the max msg/s and the bytes/s it means.

  --target SPEC        NAME[:KEY=VALUE,...] (default: gobwas)
  --url URL            a server that is already running instead
  --connections N      connections held during every probe
  --size BYTES         message size (default 256)
  --slo-p99 D          p99 bound for a passing probe (default 50ms)
  --min-achieved F     achieved/offered bound for a passing probe (default 0.95)
  --max-probes N       probe budget (default 8)
  --hold D             each probe's load time, the first second warm-up (default 5s)
  --start-rate R       first probe's messages per second per connection (default 1)
  --workers N          driver processes
  --timeout D          a message not echoed within this counts as timed out (default 5s)
  --config FILE        wsbench.config.ts or wsbench.yaml whose targets --target may name
                       (default: one in the working folder)
  --json FILE          write the LimitResult JSON
  --quiet              no live progress
`;

const LIMIT_FLAGS = {
  target: { type: 'string' },
  url: { type: 'string' },
  connections: { type: 'string' },
  size: { type: 'string' },
  'slo-p99': { type: 'string' },
  'min-achieved': { type: 'string' },
  'max-probes': { type: 'string' },
  hold: { type: 'string' },
  'start-rate': { type: 'string' },
  workers: { type: 'string' },
  timeout: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function limitCommand(args: string[], output: CommandOutput): Promise<number> {
  const { values } = parseFlags('limit', args, LIMIT_FLAGS);
  if (values.help === true) {
    output.stdout(LIMIT_USAGE);
    return 0;
  }
  if (values.connections === undefined) throw new UsageError('MISSING_FLAG', 'wsbench limit needs --connections N, e.g. --connections 1000. See wsbench limit --help');
  const config = await loadCommandConfig({ configFile: values.config });
  const { target, definition } = resolveTargetFlags('limit', values, config.loaded.targets);
  const options: LimitOptions = {
    ...(target === undefined ? {} : { target }),
    ...(values.url === undefined ? {} : { url: values.url }),
    connections: parsePositiveInteger(values.connections, '--connections'),
    messageBytes: values.size === undefined ? DEFAULT_RAMP_MESSAGE_BYTES : parseBytes(values.size, '--size'),
    ...(values['slo-p99'] === undefined ? {} : { sloP99Ms: parseDurationMs(values['slo-p99'], '--slo-p99') }),
    ...(values['min-achieved'] === undefined ? {} : { minAchievedRatio: parseFraction(values['min-achieved'], '--min-achieved') }),
    ...(values['max-probes'] === undefined ? {} : { maxProbes: parsePositiveInteger(values['max-probes'], '--max-probes') }),
    ...(values.hold === undefined ? {} : { holdMs: parseDurationMs(values.hold, '--hold') }),
    ...(values['start-rate'] === undefined ? {} : { startRatePerConnection: parsePositiveNumber(values['start-rate'], '--start-rate') }),
    ...(values.workers === undefined ? {} : { workers: parsePositiveInteger(values.workers, '--workers') }),
    ...(values.timeout === undefined ? {} : { messageTimeoutMs: parseDurationMs(values.timeout, '--timeout') }),
  };
  const outputs = { json: values.json };
  checkResultOutputs(outputs);

  let probeLabel: string | undefined;
  const progress = progressFor(output, values.quiet === true, () => probeLabel);
  const onEvent: CapacityListener = (event: CapacityEvent) => {
    if (event.type === 'limit-probe') probeLabel = `probe ${event.index + 1}/${event.maxProbes} at ${event.ratePerConnection}/s per conn`;
    if (event.type === 'limit-probe-done' && values.quiet !== true) {
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
    const outcome = await runLimit(options, { ...(definition === undefined ? {} : { definition }), signal: interrupt.signal, onEvent });
    failure = outcome.failure;
    progress.finish();
    const { written, failure: unwritten } = writeResultOutputs(outcome.result, outputs);
    output.stdout(`${formatLimitTable(outcome.result)}\n`);
    for (const file of written) output.stdout(`  result      ${file}\n`);
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
