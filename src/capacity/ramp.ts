import { InfrastructureError, WsbenchError } from '../errors.js';
import type { OpenSummary, PhaseSummary } from '../driver/load-driver.js';
import { describeEnvironment } from '../metrics/environment.js';
import type { ServerSample } from '../metrics/server-sample.js';
import { readGitInfo } from '../run/git-info.js';
import type { CapacityListener } from '../capacity/capacity-events.js';
import { RESULT_SCHEMA_VERSION } from '../run/run-result.js';
import type { RunResult, TimelinePoint } from '../run/run-result.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import { describeExit } from '../targets/target-process.js';
import { TOOL_NAME, TOOL_VERSION } from '../tool-info.js';
import { decideVerdict } from './bottleneck.js';
import type { FirstLimit } from './bottleneck.js';
import { CapacitySession, TargetDiedError, watchdog } from './capacity-session.js';
import { rampSteps } from './ramp-options.js';
import type { ResolvedRampOptions } from './ramp-options.js';
import type { RampResult, RampStep } from './ramp-result.js';
import { buildRampStep } from './ramp-step.js';
import { evaluateStopCriteria } from './stop-criteria.js';
import type { ServerDeath } from './stop-criteria.js';

/** Slack on top of a step's hold and message timeout before the step counts as stuck. */
export const STEP_WATCHDOG_SLACK_MS = 30_000;
/** Opening one step's connections may take this long per 1K connections (bounded handshakes). */
/** A hold overrunning by more than the message timeout plus this is stopped (the driver fell behind). */
export const STEP_OVERRUN_MS = 10_000;
export const OPEN_WATCHDOG_MS_PER_1K = 5_000;
export const OPEN_WATCHDOG_MIN_MS = 60_000;

export interface RampContext {
  definition?: TargetDefinition;
  signal?: AbortSignal;
  onEvent?: CapacityListener;
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
  const session = new CapacitySession({ target: options.target, url: options.url, workers: options.workers, maxConnections: options.to, definition: context.definition, signal: context.signal, emit });
  const startedAt = new Date().toISOString();
  const [git, env] = [await readGitInfo(), describeEnvironment(TOOL_VERSION)];
  const steps: RampStep[] = [];
  const timeline: TimelinePoint[] = [];
  let failure: WsbenchError | undefined;
  let firstLimit: FirstLimit | null = null;
  let death: RampResult['serverDeath'];
  let open = { established: 0, heapUsedBytes: 0, rssBytes: 0 };

  try {
    await session.start();
    const driver = session.driver!;
    driver.on('second', (second) => {
      const { phaseId: _phaseId, ...point } = second;
      const server = session.sampler?.samples.at(-1);
      timeline.push({ ...point, ...(server === undefined ? {} : { server }) });
      emit({ type: 'second', second, durationMs: options.holdMs });
    });

    for (const [index, connections] of counts.entries()) {
      emit({ type: 'ramp-step', index, total: counts.length, connections });
      let opened: OpenSummary | undefined;
      let phase: PhaseSummary | undefined;
      let stepDeath: ServerDeath | undefined;
      let windowFromMs = session.elapsedMs();
      let overran = false;
      let stepError: unknown;
      try {
        const toOpen = connections - open.established;
        if (toOpen > 0) {
          emit({ type: 'stage', stage: 'opening', detail: `${toOpen} more connections (${connections} in all)` });
          const guard = watchdog(Math.max(OPEN_WATCHDOG_MIN_MS, (toOpen / 1000) * OPEN_WATCHDOG_MS_PER_1K), `Opening ${toOpen} connections`);
          try {
            opened = await Promise.race([driver.open(toOpen), session.broken, guard.promise]);
          } finally {
            guard.cancel();
          }
          emit({ type: 'opened', established: opened.established, failed: opened.failed, openMs: opened.openMs });
          if (open.established + opened.established === 0) {
            throw new InfrastructureError('NO_CONNECTIONS', `None of ${opened.attempted} connections to ${session.url} could be opened (${Object.entries(opened.errorsByCode).map(([code, n]) => `${code} ×${n}`).join(', ') || 'no error codes'})`, {
              logTail: session.target?.logTail.last(20) ?? [],
            });
          }
        }
        emit({ type: 'stage', stage: 'loading', detail: `step ${index + 1}/${counts.length}` });
        windowFromMs = session.elapsedMs() + options.warmupMs;
        const phaseRun = driver.runPhase({
          ratePerConnection: options.ratePerConnection,
          messageBytes: options.messageBytes,
          durationMs: options.holdMs,
          warmupMs: options.warmupMs,
          ...(options.messageTimeoutMs === undefined ? {} : { messageTimeoutMs: options.messageTimeoutMs }),
        });
        // A step that overruns its hold means the driver fell behind: tell it to stop, keep what it measured.
        const overrunMs = overrunAfterMs(options);
        const overrun = setTimeout(() => {
          overran = true;
          driver.interrupt();
        }, overrunMs);
        const guard = watchdog(overrunMs + STEP_WATCHDOG_SLACK_MS, `Step ${index + 1} (${connections} connections)`);
        try {
          phase = await Promise.race([phaseRun, session.broken, guard.promise]);
        } catch (error) {
          // The target died or Ctrl-C: the workers were told to stop; keep what they measured.
          phase = await Promise.race([phaseRun.catch(() => undefined), guard.promise.catch(() => undefined)]);
          throw error;
        } finally {
          clearTimeout(overrun);
          guard.cancel();
        }
        // A target that died in the last moments of the hold still died at this step.
        if (session.target?.hasExited === true) await Promise.race([session.broken, new Promise((resolve) => setTimeout(resolve, 100))]);
      } catch (error) {
        if (!(error instanceof TargetDiedError)) stepError = error;
        else stepDeath = { description: `${describeExit(error.exit)}${error.exit.signal === 'SIGKILL' ? ' (likely the OOM killer)' : ''}` };
        if (stepDeath !== undefined) death = { step: index, connections, description: stepDeath.description, logTail: error instanceof TargetDiedError ? [...error.logTail] : [] };
        if (error instanceof TargetDiedError) firstLimit = { criterion: 'server-died', step: index, detail: '', exit: { signal: error.exit.signal, description: describeExit(error.exit) } };
      }
      if (stepDeath === undefined && stepError === undefined) await session.sampleNow();
      const samples = (session.sampler?.samples ?? []).filter((sample: ServerSample) => sample.elapsedMs > windowFromMs);
      const step = buildRampStep({
        index,
        connections,
        ratePerConnection: options.ratePerConnection,
        messageBytes: options.messageBytes,
        holdMs: options.holdMs,
        warmupMs: options.warmupMs,
        workers: session.plan.workers.length,
        opened,
        establishedBefore: open.established,
        lastHeapUsedBytes: open.heapUsedBytes,
        lastRssBytes: open.rssBytes,
        phase,
        samples: samples.length > 0 ? samples : (session.sampler?.samples.slice(-1) ?? []),
      });
      phase?.rtt.destroy?.();
      if (opened !== undefined) open = { established: open.established + opened.established, heapUsedBytes: opened.heapUsedBytes, rssBytes: opened.rssBytes };
      if (overran) {
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
    failure = error instanceof WsbenchError ? error : new InfrastructureError('UNEXPECTED', `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    await session.close();
  }
  const interrupted = session.interrupted;
  const verdict = decideVerdict({
    steps,
    firstLimit,
    sloP99Ms: options.criteria.sloP99Ms,
    interrupted,
    machine: { cores: env.cores, memBytes: env.memBytes, nofile: session.limits.nofileSoft },
  });
  const result: RampResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    kind: 'ramp',
    status: interrupted ? 'interrupted' : failure !== undefined ? 'errored' : 'completed',
    ...(failure === undefined ? {} : { error: describeFailure(failure) }),
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    startedAt,
    env,
    git,
    target: { spec: options.target?.text ?? options.url ?? '', url: session.url, command: session.target?.commandLine ?? null, pid: session.target?.pid ?? null },
    ramp: { from: options.from, step: options.step, to: options.to, holdMs: options.holdMs, ratePerConnection: options.ratePerConnection, messageBytes: options.messageBytes },
    steps,
    verdict,
    criteria: options.criteria,
    ...(death === undefined ? {} : { serverDeath: death }),
    generator: { workers: session.plan.workers.length, sourceAddresses: session.sourceAddressesByWorker.flat() },
    timeline,
  };
  return { result, failure };
}

function overrunAfterMs(options: ResolvedRampOptions): number {
  return options.holdMs + (options.messageTimeoutMs ?? 5_000) + STEP_OVERRUN_MS;
}

function describeFailure(failure: WsbenchError): NonNullable<RunResult['error']> {
  return { code: failure.code, message: failure.message, ...(failure instanceof InfrastructureError && failure.logTail.length > 0 ? { logTail: [...failure.logTail] } : {}) };
}
