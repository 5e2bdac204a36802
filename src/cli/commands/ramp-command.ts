import { UsageError } from '../../errors.js';
import type { WsbenchError } from '../../errors.js';
import type { CapacityEvent, CapacityListener } from '../../capacity/capacity-events.js';
import { runRamp } from '../../capacity/ramp.js';
import { DEFAULT_RAMP_HOLD_MS, DEFAULT_RAMP_MAX_STEPS, DEFAULT_RAMP_MESSAGE_BYTES, DEFAULT_RAMP_RATE_PER_CONNECTION, resolveRampOptions } from '../../capacity/ramp-options.js';
import type { RampStep } from '../../capacity/ramp-result.js';
import { formatRampTable, formatRampVerdict } from '../../capacity/ramp-table.js';
import { formatBytes, formatCount, formatMs, formatRate } from '../../format-numbers.js';
import { checkResultOutputs, writeResultOutputs } from '../../report/result-outputs.js';
import { loadCommandConfig } from '../../scenario/config-scenario.js';
import { durationFlag, integerFlag, stringFlag, under, withDefault } from '../flags/flag.js';
import { formatFlagHelp, pickFlags, readFlags } from '../flags/flag-table.js';
import { TRAFFIC_FLAGS } from '../flags/traffic-flags.js';
import { FORMAT_FLAGS, HELP_FLAG, MESSAGE_FLAGS, QUIET_FLAG, TARGET_FLAGS, TARGETS_CONFIG_FLAG } from '../flags/shared-flags.js';
import { OTHER_STOP_CRITERIA, STOP_CRITERIA_FLAGS, stopCriteriaOf } from '../flags/stop-criteria-flags.js';
import { abortOnInterrupt } from '../interrupt.js';
import type { CommandOutput } from '../output.js';
import { progressFor } from '../output.js';
import { resolveTargetFlags } from '../target-flags.js';

const RAMP_FLAGS = {
  ...TARGET_FLAGS,
  from: integerFlag('from', 'N', 'connections at the first step'),
  step: integerFlag('step', 'N', 'connections added at each step'),
  to: integerFlag('to', 'N', `last step's connections (default: --from + ${DEFAULT_RAMP_MAX_STEPS - 1} × --step)`),
  hold: withDefault(durationFlag('holdMs', 'D', 'load held at each step, e.g. 10s; the first second is warm-up'), DEFAULT_RAMP_HOLD_MS),
  ...MESSAGE_FLAGS,
  rate: withDefault(MESSAGE_FLAGS.rate, DEFAULT_RAMP_RATE_PER_CONNECTION),
  size: withDefault(MESSAGE_FLAGS.size, DEFAULT_RAMP_MESSAGE_BYTES),
  workers: { ...MESSAGE_FLAGS.workers, help: 'driver processes (default: planned for --to)' },
  ...STOP_CRITERIA_FLAGS,
  config: under(OTHER_STOP_CRITERIA, TARGETS_CONFIG_FLAG.config),
  json: stringFlag('json', 'FILE', 'write the RampResult JSON (written even when the ramp fails part way)'),
  ...FORMAT_FLAGS,
  html: stringFlag('html', 'FILE', 'write an HTML report: latency, throughput, server CPU and RSS against connections'),
  md: stringFlag('md', 'FILE', 'write a Markdown report (verdict first, a mermaid chart)'),
  ...QUIET_FLAG,
  ...HELP_FLAG,
};

export const RAMP_USAGE = `Usage: wsbench ramp [--target SPEC | --url ws://H:P/PATH] --from N --step N [options]

Ramps connections from --from by --step (earlier connections stay open), holding paced load at each
step, until --to or until a stop criterion fires; then names the bottleneck with its evidence.
Exit 0 when the ramp completed or stopped on a criterion (finding the limit is the job), 3 when it
could not be measured (target never started, driver died), 130 when interrupted (result still written).

${formatFlagHelp(RAMP_FLAGS)}
`;

export async function rampCommand(args: string[], output: CommandOutput): Promise<number> {
  const { options } = readFlags('ramp', args, RAMP_FLAGS);
  if (options.help === true) {
    output.stdout(RAMP_USAGE);
    return 0;
  }
  const { from, step } = options;
  if (from === undefined || step === undefined) {
    throw new UsageError('MISSING_FLAG', 'needs --from N and --step N, e.g. --from 1000 --step 1000 --to 20000. See wsbench ramp --help', { command: 'ramp' });
  }
  const config = await loadCommandConfig({ configFile: options.configFile });
  const { target, definition } = resolveTargetFlags('ramp', options, config.loaded.targets);
  checkResultOutputs(options);
  const resolved = resolveRampOptions({ ...options, target, from, step, criteria: stopCriteriaOf(options), traffic: pickFlags(TRAFFIC_FLAGS, options) });

  let stepLabel: string | undefined;
  const progress = progressFor(output, options.quiet === true, () => stepLabel);
  const onEvent: CapacityListener = (event: CapacityEvent) => {
    if (event.type === 'ramp-step') {
      stepLabel = `step ${event.index + 1}/${event.total}`;
      if (options.quiet !== true) output.stderr(`step ${event.index + 1}/${event.total}: ${formatCount(event.connections)} connections\n`);
    }
    if (event.type === 'ramp-step-done' && options.quiet !== true) {
      progress.finish();
      output.stderr(`${describeStep(event.step, event.total)}\n`);
      return;
    }
    progress(event);
  };
  const interrupt = abortOnInterrupt(() => output.stderr('\ninterrupted: stopping the ramp and writing what was measured (Ctrl-C again to quit at once)\n'));
  let failure: WsbenchError | undefined;
  try {
    const outcome = await runRamp(resolved, { definition, signal: interrupt.signal, onEvent });
    failure = outcome.failure;
    progress.finish();
    const { written, failure: unwritten } = writeResultOutputs(outcome.result, options);
    output.stdout(`${formatRampTable(outcome.result)}\n\n${formatRampVerdict(outcome.result)}\n`);
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

/** "step 3/20: 3000 conns · 2990/3000 msg/s · p99 2.10 ms · server CPU 39% RSS 78 MiB · held" */
export function describeStep(step: RampStep, total: number): string {
  const connectErrors = Object.entries(step.connectErrorsByCode).map(([code, count]) => `${code} ×${count}`).join(', ');
  return [
    `step ${step.index + 1}/${total}: ${formatCount(step.established)} conns`,
    `${formatRate(step.achievedPerSec)} of ${formatRate(step.offeredPerSec)} offered`,
    `p99 ${formatMs(step.latencyMs?.p99)}`,
    `server CPU ${step.server.cpuPercent === null ? '—' : `${step.server.cpuPercent.toFixed(0)}%`} RSS ${formatBytes(step.server.rssBytes)}`,
    ...(connectErrors === '' ? [] : [`connect errors ${connectErrors}`]),
    step.stopReasons.length === 0 ? 'held' : `STOP: ${step.stopReasons.join('; ')}`,
  ].join(' · ');
}
