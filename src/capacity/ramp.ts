import type { WsbenchError } from '../errors.js';
import type { OpenSummary } from '../driver/load-driver.js';
import { asWsbenchError, MeasurementSession } from '../run/measurement-session.js';
import type { MeasuredPhase } from '../run/measurement-session.js';
import { endStatus } from '../run/result-header.js';
import type { SessionDeps } from '../run/session-deps.js';
import { sessionOptionsOf } from '../run/session-traffic.js';
import { phaseTrafficOf } from '../run/traffic-result.js';
import { describeDeath, TargetDiedError } from '../run/target-died-error.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import { describeExit } from '../targets/target-process.js';
import type { CapacityListener } from './capacity-events.js';
import { decideVerdict } from './bottleneck.js';
import type { FirstLimit } from './bottleneck.js';
import { rampSteps } from './ramp-options.js';
import type { ResolvedRampOptions } from './ramp-options.js';
import { RAMP_SCHEMA_VERSION } from './ramp-result.js';
import type { RampResult, RampStep } from './ramp-result.js';
import { buildRampStep } from './ramp-step.js';
import { evaluateStopCriteria } from './stop-criteria.js';
import type { ServerDeath } from './stop-criteria.js';
import { recordTraffic } from '../scenario/traffic-record.js';

/** A hold overrunning by more than the message timeout plus this is stopped (the driver fell behind). */
export const STEP_OVERRUN_MS = 10_000;

export interface RampContext {
  definition?: TargetDefinition;
  signal?: AbortSignal;
  onEvent?: CapacityListener;
  /** Replacements for the target starter and the driver factory (tests). */
  deps?: Partial<SessionDeps>;
}

export interface RampOutcome {
  result: RampResult;
  /** Set when the ramp could not be measured (exit 3) or was interrupted (exit 130); a stop criterion is not a failure. */
  failure: WsbenchError | undefined;
}

/**
 * A connection ramp: one target, one driver; each step opens more connections (earlier ones stay
 * open), holds paced load on all of them, measures, and applies the stop criteria. It ends at `to`,
 * at the first criterion that fires, when the server dies, or on Ctrl-C; the result is built whatever
 * happened, and the target and the workers are always stopped.
 */
export async function runRamp(options: ResolvedRampOptions, context: RampContext = {}): Promise<RampOutcome> {
  const emit = context.onEvent ?? (() => {});
  emit({ type: 'stage', stage: 'preparing', detail: `ramp ${options.from}→${options.to} by ${options.step}` });
  const counts = rampSteps(options);
  const session = new MeasurementSession(sessionOptionsOf(options, context, emit, options.to));
  const steps: RampStep[] = [];
  let failure: WsbenchError | undefined;
  let firstLimit: FirstLimit | null = null;
  let death: RampResult['serverDeath'];
  let open = { heapUsedBytes: 0, rssBytes: 0 };

  try {
    await session.start();
    for (const [index, connections] of counts.entries()) {
      emit({ type: 'ramp-step', index, total: counts.length, connections });
      const establishedBefore = session.established;
      const stepStartMs = session.elapsedMs();
      let opened: OpenSummary | undefined;
      let measured: MeasuredPhase | undefined;
      let stepError: WsbenchError | undefined;
      const toOpen = connections - establishedBefore;
      try {
        if (toOpen > 0) opened = await session.openConnections(toOpen, `${toOpen} more connections (${connections} in all)`);
        measured = await session.runPhase({
          label: `Step ${index + 1} (${connections} connections)`,
          detail: `step ${index + 1}/${counts.length}`,
          ratePerConnection: options.ratePerConnection,
          messageBytes: options.messageBytes,
          durationMs: options.holdMs,
          warmupMs: options.warmupMs,
          // A step that overruns its hold means the driver fell behind: stop it, keep what it measured.
          overrunAfterMs: overrunAfterMs(options),
          ...(options.messageTimeoutMs === undefined ? {} : { messageTimeoutMs: options.messageTimeoutMs }),
          ...(options.pacer === undefined ? {} : { pacer: options.pacer }),
          traffic: phaseTrafficOf(options.traffic),
        });
        if (measured.stoppedBy !== undefined) throw measured.stoppedBy;
      } catch (error) {
        if (error instanceof TargetDiedError) {
          death = { step: index, connections, description: describeDeath(error.exit), logTail: [...error.logTail] };
          firstLimit = { criterion: 'server-died', step: index, detail: '', exit: { signal: error.exit.signal, description: describeExit(error.exit) } };
        } else stepError = asWsbenchError(error);
      }
      // A step whose connections all failed keeps what the attempts met (open time, error codes, driver memory).
      if (toOpen > 0) opened ??= session.lastOpened;
      if (death === undefined && stepError === undefined) await session.sampleNow();
      const windowFromMs = measured?.windowFromMs ?? stepStartMs;
      const samples = session.samplesSince(windowFromMs);
      const step = buildRampStep({
        index,
        connections,
        ratePerConnection: options.ratePerConnection,
        messageBytes: options.messageBytes,
        holdMs: options.holdMs,
        warmupMs: options.warmupMs,
        workers: session.plan.workers.length,
        opened,
        establishedBefore,
        lastHeapUsedBytes: open.heapUsedBytes,
        lastRssBytes: open.rssBytes,
        phase: measured?.phase,
        samples: samples.length > 0 ? samples : (session.sampler?.samples.slice(-1) ?? []),
      });
      step.machine = measured?.machineLoad ?? null;
      measured?.phase?.rtt.destroy?.();
      if (opened !== undefined) open = { heapUsedBytes: opened.heapUsedBytes, rssBytes: opened.rssBytes };
      if (measured?.overran === true) {
        step.generator.saturated = true;
        step.generator.saturationReasons = [...(step.generator.saturationReasons ?? []), `the step overran its ${options.holdMs / 1000} s hold by more than ${(overrunAfterMs(options) - options.holdMs) / 1000} s: the driver could not keep this schedule and was stopped`];
      }
      if (stepError !== undefined) {
        // Keep the partial step (open time, driver memory) in the result, then fail.
        steps.push(step);
        throw stepError;
      }
      if (session.interrupted) {
        // Ctrl-C during the hold: what was measured is kept, but a step cut short proves nothing either way.
        step.partial = true;
        steps.push(step);
        session.throwIfInterrupted();
      }
      const stepDeath: ServerDeath | undefined = death === undefined ? undefined : { description: death.description };
      const findings = evaluateStopCriteria(step, steps.at(-1), options.criteria, stepDeath);
      step.stopReasons = findings.map((finding) => `${finding.criterion}: ${finding.detail}`);
      step.stopCriteria = findings.map((finding) => finding.criterion);
      steps.push(step);
      emit({ type: 'ramp-step-done', step, total: counts.length });
      if (findings.length > 0) {
        const first = findings[0]!;
        firstLimit = { ...(firstLimit ?? {}), criterion: first.criterion, step: index, detail: first.detail };
        break;
      }
      session.throwIfInterrupted();
    }
  } catch (error) {
    failure = asWsbenchError(error);
  }
  await session.close();
  const verdict = decideVerdict({
    steps,
    firstLimit,
    sloP99Ms: options.criteria.sloP99Ms,
    interrupted: session.interrupted,
    machine: { cores: session.env.cores, memBytes: session.env.memBytes, nofile: session.limits.nofileSoft },
  });
  const result: RampResult = {
    ...session.header({ kind: 'ramp', schemaVersion: RAMP_SCHEMA_VERSION, status: endStatus(session.interrupted, failure), failure }),
    ramp: { from: options.from, step: options.step, to: options.to, holdMs: options.holdMs, ratePerConnection: options.ratePerConnection, messageBytes: options.messageBytes, traffic: recordTraffic(options.traffic) },
    steps,
    verdict,
    criteria: options.criteria,
    ...(death === undefined ? {} : { serverDeath: death }),
    generator: { workers: session.plan.workers.length, sourceAddresses: session.sourceAddressesByWorker.flat() },
    timeline: session.timeline,
  };
  return { result, failure };
}

function overrunAfterMs(options: ResolvedRampOptions): number {
  return options.holdMs + (options.messageTimeoutMs ?? 5_000) + STEP_OVERRUN_MS;
}
