import { UsageError } from '../../errors.js';
import type { WsbenchError } from '../../errors.js';
import { runRamp } from '../../capacity/ramp.js';
import { resolveRampOptions } from '../../capacity/ramp-options.js';
import type { RampOptions } from '../../capacity/ramp-options.js';
import { formatRampTable, formatRampVerdict } from '../../capacity/ramp-table.js';
import type { RampStep } from '../../capacity/ramp-result.js';
import { loadCommandConfig } from '../../scenario/config-scenario.js';
import { checkResultOutputs, writeResultOutputs } from '../../report/result-outputs.js';
import { formatBytes, formatCount, formatMs, formatRate } from '../../format-numbers.js';
import type { CapacityEvent, CapacityListener } from '../../capacity/capacity-events.js';
import { parseBytes, parseDurationMs, parseFraction, parsePositiveInteger, parsePositiveNumber } from '../../units.js';
import { resolveTargetFlags } from '../target-flags.js';
import { abortOnInterrupt } from '../interrupt.js';
import type { CommandOutput } from '../output.js';
import { progressFor } from '../output.js';
import { parseFlags } from '../parse-flags.js';

export const RAMP_USAGE = `Usage: wsbench ramp [--target SPEC | --url ws://H:P/PATH] --from N --step N [options]

Ramps connections from --from by --step (earlier connections stay open), holding paced load at each
step, until --to or until a stop criterion fires; then names the bottleneck with its evidence.
Exit 0 when the ramp completed or stopped on a criterion (finding the limit is the job), 3 when it
could not be measured (target never started, driver died), 130 when interrupted (result still written).

  --target SPEC        NAME[:KEY=VALUE,...], e.g. gobwas:model=epoll  (default: gobwas)
  --url URL            ramp a server that is already running instead
  --from N             connections at the first step
  --step N             connections added at each step
  --to N               last step's connections (default: --from + 19 × --step)
  --hold D             load held at each step, e.g. 10s (default 10s; the first second is warm-up)
  --rate R             messages per second per connection (default 1)
  --size BYTES         message size, e.g. 256, 1KB (default 256)
  --workers N          driver processes (default: planned for --to)
  --timeout D          a message not echoed within this counts as timed out (default 5s)
stop criteria (any one ends the ramp):
  --slo-p99 D          p99 latency above this (default 50ms)
  --error-budget F     timed-out/dropped messages or failed connects above this share (default 0.01)
  --min-achieved F     achieved below this share of offered (default 0.95)
  --knee-factor X      p99 more than X × the previous step's, above 5 ms and a quarter of the SLO (default 3)
  --max-gc-pause D     server GC pause above this (default 100ms)
  also: the server died (or was OOM-killed), connect errors, the load generator saturated
  --config FILE        wsbench.config.ts or wsbench.yaml whose targets --target may name
                       (default: one in the working folder)
  --json FILE          write the RampResult JSON (written even when the ramp fails part way)
  --html FILE          write an HTML report: latency, throughput, server CPU and RSS against connections
  --md FILE            write a Markdown report (verdict first, a mermaid chart)
  --quiet              no live progress
`;

const RAMP_FLAGS = {
  target: { type: 'string' },
  url: { type: 'string' },
  from: { type: 'string' },
  step: { type: 'string' },
  to: { type: 'string' },
  hold: { type: 'string' },
  rate: { type: 'string' },
  size: { type: 'string' },
  workers: { type: 'string' },
  timeout: { type: 'string' },
  'slo-p99': { type: 'string' },
  'error-budget': { type: 'string' },
  'min-achieved': { type: 'string' },
  'knee-factor': { type: 'string' },
  'max-gc-pause': { type: 'string' },
  config: { type: 'string' },
  json: { type: 'string' },
  html: { type: 'string' },
  md: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function rampCommand(args: string[], output: CommandOutput): Promise<number> {
  const { values } = parseFlags('ramp', args, RAMP_FLAGS);
  if (values.help === true) {
    output.stdout(RAMP_USAGE);
    return 0;
  }
  if (values.from === undefined || values.step === undefined) {
    throw new UsageError('MISSING_FLAG', 'wsbench ramp needs --from N and --step N, e.g. --from 1000 --step 1000 --to 20000. See wsbench ramp --help');
  }
  const config = await loadCommandConfig({ configFile: values.config });
  const { target, definition } = resolveTargetFlags('ramp', values, config.loaded.targets);
  const options: RampOptions = {
    ...(target === undefined ? {} : { target }),
    ...(values.url === undefined ? {} : { url: values.url }),
    from: parsePositiveInteger(values.from, '--from'),
    step: parsePositiveInteger(values.step, '--step'),
    ...(values.to === undefined ? {} : { to: parsePositiveInteger(values.to, '--to') }),
    ...(values.hold === undefined ? {} : { holdMs: parseDurationMs(values.hold, '--hold') }),
    ...(values.rate === undefined ? {} : { ratePerConnection: parsePositiveNumber(values.rate, '--rate') }),
    ...(values.size === undefined ? {} : { messageBytes: parseBytes(values.size, '--size') }),
    ...(values.workers === undefined ? {} : { workers: parsePositiveInteger(values.workers, '--workers') }),
    ...(values.timeout === undefined ? {} : { messageTimeoutMs: parseDurationMs(values.timeout, '--timeout') }),
    criteria: {
      ...(values['slo-p99'] === undefined ? {} : { sloP99Ms: parseDurationMs(values['slo-p99'], '--slo-p99') }),
      ...(values['error-budget'] === undefined ? {} : { errorBudget: parseFraction(values['error-budget'], '--error-budget') }),
      ...(values['min-achieved'] === undefined ? {} : { minAchievedRatio: parseFraction(values['min-achieved'], '--min-achieved') }),
      ...(values['knee-factor'] === undefined ? {} : { kneeFactor: parsePositiveNumber(values['knee-factor'], '--knee-factor') }),
      ...(values['max-gc-pause'] === undefined ? {} : { maxGcPauseMs: parseDurationMs(values['max-gc-pause'], '--max-gc-pause') }),
    },
  };
  const resolved = resolveRampOptions(options);
  const outputs = { json: values.json, html: values.html, md: values.md };
  checkResultOutputs(outputs);

  let stepLabel: string | undefined;
  const progress = progressFor(output, values.quiet === true, () => stepLabel);
  const onEvent: CapacityListener = (event: CapacityEvent) => {
    if (event.type === 'ramp-step') {
      stepLabel = `step ${event.index + 1}/${event.total}`;
      if (values.quiet !== true) output.stderr(`step ${event.index + 1}/${event.total}: ${formatCount(event.connections)} connections\n`);
    }
    if (event.type === 'ramp-step-done' && values.quiet !== true) {
      progress.finish();
      output.stderr(`${describeStep(event.step, event.total)}\n`);
      return;
    }
    progress(event);
  };
  const interrupt = abortOnInterrupt(() => output.stderr('\ninterrupted: stopping the ramp and writing what was measured (Ctrl-C again to quit at once)\n'));
  let failure: WsbenchError | undefined;
  try {
    const outcome = await runRamp(resolved, { ...(definition === undefined ? {} : { definition }), signal: interrupt.signal, onEvent });
    failure = outcome.failure;
    progress.finish();
    const { written, failure: unwritten } = writeResultOutputs(outcome.result, outputs);
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
