import type { CapacityEvent, CapacityListener } from '../capacity/capacity-events.js';
import { formatCount, formatMs, formatRate } from '../format-numbers.js';

/** Not on a terminal (CI logs), a plain line this often instead of a line redrawn every second. */
export const PLAIN_PROGRESS_INTERVAL_S = 5;

export interface ProgressReporterOptions {
  write: (text: string) => void;
  /** Redraw one line in place (a terminal), or print plain lines (CI). */
  interactive: boolean;
  /** Prefix, e.g. "step 3/20" for a ramp. */
  label?: () => string | undefined;
}

/** Live progress on stderr: a reporter listening to the run's events, so the driver never prints. */
export function createProgressReporter(options: ProgressReporterOptions): CapacityListener & { finish: () => void } {
  let lineOpen = false;
  const show = (text: string, plainEvery?: number, second?: number): void => {
    const label = options.label?.();
    const line = label === undefined ? text : `[${label}] ${text}`;
    if (options.interactive) {
      options.write(`\r\x1b[2K${line}`);
      lineOpen = true;
    } else if (plainEvery === undefined || second === undefined || second % plainEvery === 0) {
      options.write(`${line}\n`);
    }
  };
  const say = (text: string): void => {
    if (lineOpen) options.write('\n');
    lineOpen = false;
    options.write(`${text}\n`);
  };
  const listener = (event: CapacityEvent): void => {
    switch (event.type) {
      case 'stage':
        if (event.stage === 'starting-target') say(`starting target ${event.detail ?? ''}`);
        if (event.stage === 'opening') say(`opening ${event.detail ?? ''}`);
        if (event.stage === 'waiting') say(`waiting for ${event.detail ?? 'the start barrier'}`);
        return;
      case 'warning':
        say(`warning: ${event.message}`);
        return;
      case 'target-ready':
        say(`target ready: pid ${event.pid} at ${event.url}`);
        return;
      case 'opening':
        show(`connecting ${formatCount(event.progress.established)}/${formatCount(event.progress.target)} (${formatCount(event.progress.failed)} failed)`);
        return;
      case 'opened':
        say(`${formatCount(event.established)} connections open in ${formatMs(event.openMs)}${event.failed > 0 ? `, ${formatCount(event.failed)} failed` : ''}`);
        return;
      case 'second': {
        const { second } = event;
        const elapsed = second.second + 1;
        const total = Math.ceil(event.durationMs / 1000);
        const latency = second.latencyMs === null ? 'p50 — p99 —' : `p50 ${formatMs(second.latencyMs.p50)} p99 ${formatMs(second.latencyMs.p99)}`;
        show(
          `${elapsed}/${total}s${second.warmup ? ' (warm-up)' : ''} · ${formatCount(second.connections)} conns · ${formatRate(second.received)} echoed · ${latency} · ${formatCount(second.timedOut)} timed out · send lag p99 ${formatMs(second.sendLagP99Ms)}`,
          PLAIN_PROGRESS_INTERVAL_S,
          elapsed,
        );
        return;
      }
      case 'server-sample':
        return;
    }
  };
  return Object.assign(listener, {
    finish: () => {
      if (lineOpen) options.write('\n');
      lineOpen = false;
    },
  });
}
