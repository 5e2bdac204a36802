import { didYouMean } from '../did-you-mean.js';
import { maxSocketsPerProcess, planLoad } from '../plan/preflight.js';
import type { MachineLimits } from '../plan/preflight.js';
import { UsageError } from '../errors.js';
import { formatBytes, formatCount } from '../format-numbers.js';
import { BUILTIN_TARGETS } from '../targets/builtin-targets.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import { formatTargetSpec, parseTargetSpec } from '../targets/target-spec.js';
import { matchesPattern } from './match-pattern.js';
import type { ResolvedConfig, ResolvedScenario, ScenarioGates } from './config-schema.js';
import type { RunOptions } from './run-options.js';

/**
 * From a resolved config to the scenarios one `wsbench bench` runs: matrix expansion, profile and glob
 * selection, and the machine check. A scenario this machine cannot drive is planned with its
 * `skipReason`, never dropped, so a report can say what did not run and why.
 */

/**
 * Echoed messages per second one core of driver sustains while the target shares the machine. The driver
 * costs about 20–45 µs CPU per echoed message on the 2-core CI machine (measured, `generator.cpuMicrosPerMessage`);
 * 20,000/s per core keeps it near half a core at the worst of that, leaving the rest to the target.
 */
export const DRIVER_MESSAGES_PER_CORE_PER_SEC = 20_000;
/**
 * Offered payload bytes per second per core (each byte is masked, sent, echoed and read back over
 * loopback). An estimate, not a measurement: past it, copies rather than messages bound the run.
 */
export const DRIVER_BYTES_PER_CORE_PER_SEC = 50 * 1024 ** 2;
/** Server start, readiness and stop around each trial (estimate, cached build). */
export const TRIAL_OVERHEAD_MS = 1_500;
/** Connections opened per second by the bounded handshakes (estimate on loopback). */
export const HANDSHAKES_PER_SEC = 5_000;

export interface PlanScenariosOptions {
  /** A profile of the config (`quick` and `full` always exist). */
  profile: string;
  /** Narrows the profile: a glob over names (`*`, `?`) or `tag:NAME`. */
  scenarioGlob?: string;
  machine: MachineLimits;
  /** The config's targets as definitions (from `loadConfig`); the built-ins are always known. */
  targets?: Record<string, TargetDefinition>;
}

/** How a profile changed a scenario, for reports ("quick profile: 1/5 of the configured connections"). */
export interface ScenarioScaling {
  profile: string;
  connectionsScale: number;
  durationScale: number;
  configured: { connections: number; durationMs: number };
  note: string;
}

export interface PlannedScenario {
  name: string;
  /** The target SPEC text. */
  target: string;
  /** What `resolveRunOptions` takes; every load field is set. */
  options: RunOptions;
  gates: ScenarioGates;
  errorBudget: number | undefined;
  tags: string[];
  description: string | undefined;
  /** A/B pairs the profile asks for in `compare`. */
  pairs: number | undefined;
  scaling: ScenarioScaling | undefined;
  offeredMessagesPerSec: number;
  offeredBytesPerSec: number;
  /** Estimated wall time of one trial: start, connect, warm-up, measure, stop. */
  estimatedTrialMs: number;
  /** From the load plan (fd limits, source addresses, somaxconn). */
  warnings: string[];
  /** Why this machine cannot run the scenario; absent when it can. */
  skipReason?: string;
}

/** The scenarios a profile (and optional glob) selects, in config order, each checked against the machine. */
export function planScenarios(config: ResolvedConfig, options: PlanScenariosOptions): PlannedScenario[] {
  const profile = config.profiles[options.profile];
  if (profile === undefined) {
    throw new UsageError('UNKNOWN_PROFILE', `Unknown profile ${JSON.stringify(options.profile)}.${didYouMean(options.profile, Object.keys(config.profiles))} Give one of the profiles: ${Object.keys(config.profiles).join(', ')}`);
  }
  const inProfile = config.scenarios.filter((s) => profile.scenarios.some((pattern) => matchesPattern(pattern, s.name, s.tags)));
  if (inProfile.length === 0) {
    throw new UsageError('EMPTY_PROFILE', `Profile ${options.profile} (${profile.scenarios.join(', ')}) selects no scenario; tag scenarios with it or define profiles.${options.profile} in the config`);
  }
  const glob = options.scenarioGlob;
  const selected = glob === undefined ? inProfile : inProfile.filter((s) => matchesPattern(glob, s.name, s.tags));
  if (selected.length === 0) {
    const elsewhere = config.scenarios.filter((s) => matchesPattern(glob!, s.name, s.tags)).map((s) => s.name);
    const hint = elsewhere.length > 0 ? ` (it matches ${elsewhere.slice(0, 5).join(', ')}${elsewhere.length > 5 ? ', …' : ''} outside this profile: try --profile full)` : '';
    throw new UsageError(
      'NO_SCENARIO_MATCHES',
      `--scenario ${JSON.stringify(glob)} matches no scenario of profile ${options.profile}${hint}; its scenarios: ${inProfile.map((s) => s.name).join(', ')}`,
    );
  }
  const targets = options.targets ?? {};
  return selected.map((scenario) => planOne(scenario, options.profile, profile, options.machine, targets));
}

function planOne(
  scenario: ResolvedScenario,
  profileName: string,
  profile: ResolvedConfig['profiles'][string],
  machine: MachineLimits,
  targets: Record<string, TargetDefinition>,
): PlannedScenario {
  const connectionsScale = profile.connectionsScale ?? 1;
  const durationScale = profile.durationScale ?? 1;
  const connections = Math.max(1, Math.round(scenario.connections * connectionsScale));
  const durationMs = Math.max(1, Math.round(scenario.durationMs * durationScale));
  const spec = parseTargetSpec(scenario.target, 'target');
  const offeredMessagesPerSec = connections * scenario.ratePerConnection;
  const offeredBytesPerSec = offeredMessagesPerSec * scenario.messageBytes;
  const options: RunOptions = {
    ...(scenario.traffic ?? {}),
    target: spec,
    scenarioName: scenario.name,
    connections,
    ratePerConnection: scenario.ratePerConnection,
    messageBytes: scenario.messageBytes,
    durationMs,
    warmupMs: scenario.warmupMs,
    ...(scenario.workers === undefined ? {} : { workers: scenario.workers }),
    ...(scenario.messageTimeoutMs === undefined ? {} : { messageTimeoutMs: scenario.messageTimeoutMs }),
    ...(scenario.errorBudget === undefined ? {} : { errorBudget: scenario.errorBudget }),
  };
  const definition = targets[spec.name] ?? BUILTIN_TARGETS[spec.name];
  const { reasons, warnings } = checkMachine({ connections, offeredMessagesPerSec, offeredBytesPerSec, workers: scenario.workers, spec, definition }, machine);
  const scaled = connectionsScale !== 1 || durationScale !== 1;
  return {
    name: scenario.name,
    target: scenario.target,
    options,
    gates: scenario.gates,
    errorBudget: scenario.errorBudget,
    tags: scenario.tags,
    description: scenario.description,
    pairs: profile.pairs,
    scaling: scaled ? describeScaling(profileName, connectionsScale, durationScale, scenario, connections, durationMs) : undefined,
    offeredMessagesPerSec,
    offeredBytesPerSec,
    estimatedTrialMs: estimateTrialMs(connections, scenario.warmupMs, durationMs),
    warnings,
    ...(reasons.length === 0 ? {} : { skipReason: reasons.join('; ') }),
  };
}

export function estimateTrialMs(connections: number, warmupMs: number, durationMs: number): number {
  return TRIAL_OVERHEAD_MS + Math.ceil((connections / HANDSHAKES_PER_SEC) * 1000) + warmupMs + durationMs;
}

interface MachineCheck {
  connections: number;
  offeredMessagesPerSec: number;
  offeredBytesPerSec: number;
  workers: number | undefined;
  spec: ReturnType<typeof parseTargetSpec>;
  definition: TargetDefinition | undefined;
}

/** Every reason this machine cannot run the load (all of them, so one fix is not followed by the next surprise). */
function checkMachine(check: MachineCheck, machine: MachineLimits): { reasons: string[]; warnings: string[] } {
  const reasons: string[] = [];
  const cores = Math.max(1, machine.cores);
  const coreText = `${cores} core${cores === 1 ? '' : 's'}`;
  const messageLimit = cores * DRIVER_MESSAGES_PER_CORE_PER_SEC;
  if (check.offeredMessagesPerSec > messageLimit) {
    reasons.push(
      `offers ${formatCount(check.offeredMessagesPerSec)} msg/s; this machine's driver sustains about ${formatCount(messageLimit)} msg/s on ${coreText} ` +
        `(${formatCount(DRIVER_MESSAGES_PER_CORE_PER_SEC)} per core): lower connections or rate, or run on a bigger machine`,
    );
  }
  const byteLimit = cores * DRIVER_BYTES_PER_CORE_PER_SEC;
  if (check.offeredBytesPerSec > byteLimit) {
    reasons.push(`offers ${formatBytes(check.offeredBytesPerSec)}/s of payload; this machine's driver moves about ${formatBytes(byteLimit)}/s on ${coreText}: lower the rate or size`);
  }
  const processCount = check.definition?.processCount;
  const procs = processCount === undefined ? undefined : processCount(check.spec.knobs);
  if (procs !== undefined) {
    const perProcess = maxSocketsPerProcess(machine);
    const needed = Math.max(1, Math.ceil(check.connections / Math.max(1, perProcess)));
    if (needed > procs) {
      const suggested = formatTargetSpec({ ...check.spec, knobs: { ...check.spec.knobs, procs: String(needed) } });
      reasons.push(
        `${formatCount(check.connections)} connections need ${needed} target processes at fd limit ${formatCount(machine.nofileSoft)} ` +
          `(${formatCount(perProcess)} sockets each), the target runs ${procs}: use target "${suggested}" or raise \`ulimit -n\``,
      );
    }
  }
  const plan = planLoad(
    {
      connections: check.connections,
      targetIsFixture: procs !== undefined,
      ...(procs === undefined ? {} : { targetProcs: procs }),
      ...(check.workers === undefined ? {} : { workersRequested: check.workers }),
    },
    machine,
  );
  reasons.push(...plan.errors);
  return { reasons, warnings: plan.warnings };
}

function describeScaling(
  profile: string,
  connectionsScale: number,
  durationScale: number,
  scenario: ResolvedScenario,
  connections: number,
  durationMs: number,
): ScenarioScaling {
  const parts: string[] = [];
  if (connectionsScale !== 1) parts.push(`${fraction(connectionsScale)} of the configured connections (${formatCount(scenario.connections)} → ${formatCount(connections)})`);
  if (durationScale !== 1) parts.push(`${fraction(durationScale)} of the configured duration (${scenario.durationMs / 1000} s → ${durationMs / 1000} s)`);
  return {
    profile,
    connectionsScale,
    durationScale,
    configured: { connections: scenario.connections, durationMs: scenario.durationMs },
    note: `${profile} profile: ${parts.join(', ')}`,
  };
}

/** `1/5` when the scale is the reciprocal of a whole number, else `×1.5`. */
function fraction(scale: number): string {
  const inverse = 1 / scale;
  return Math.abs(inverse - Math.round(inverse)) < 1e-9 && scale < 1 ? `1/${Math.round(inverse)}` : `×${scale}`;
}


