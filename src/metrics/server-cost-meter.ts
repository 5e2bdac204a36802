import { performance } from 'node:perf_hooks';
import { readProcessTree } from './process-tree.js';
import { metricsFromFamilies } from './runtime-metrics.js';
import { scrapeMetrics } from './scrape-metrics.js';
import { computeServerCost } from './server-cost.js';
import type { RuntimeCounterReading, ServerCostReport } from './server-cost.js';
import { readTreeCpu, treeCpuBetween } from './thread-cpu.js';
import type { TreeCpuReading } from './thread-cpu.js';

/**
 * Takes the readings server cost is computed from, for any server known by its PID (a target wsbench
 * started, or one given with a PID): RSS before and after opening the connections, and per-thread CPU plus
 * the Go runtime's counters at the measured window's start and end. /proc is read synchronously, at the
 * moment asked; the scrape follows and keeps its own time. Never throws: what could not be read becomes
 * a null figure with a note.
 */

/** How long before the window the opening scrape starts: a loopback scrape takes a few ms. */
export const COUNTER_SCRAPE_LEAD_MS = 50;

export interface ServerCostMeterOptions {
  pid: number;
  /** The server's Prometheus endpoint; Go servers give allocations and GC cycles through it. */
  metricsUrl?: string;
  /** False when the endpoint speaks for one of several server processes. @default true */
  metricsCoverTree?: boolean;
  /** @default performance.now */
  clock?: () => number;
  /** @default '/proc' */
  procRoot?: string;
  /** @default `getconf CLK_TCK` */
  clockTicksPerSecond?: number;
  /** @default `getconf PAGESIZE` */
  pageSizeBytes?: number;
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  scrapeTimeoutMs?: number;
}

export interface WindowFigures {
  /** The driver's measured window. */
  windowMs: number;
  /** Echoes that arrived inside it. */
  messages: number;
  connections: number;
}

export interface ServerCostMeter {
  /** RSS of the tree now: call once the target is ready, before any connection opens. */
  beforeOpen(): void;
  /** RSS of the tree now: call once the connections are open. */
  afterOpen(): void;
  /**
   * Reads CPU at these clock times (the driver's window), the counters just before and at the end; replaces an
   * earlier schedule. Settles once this window's closing reading is in, or when the window is cancelled or
   * replaced: until then no other scrape may reach the server. The closing scrape fires on a timer, and
   * wsbench's process, on the driver's CPU below the workers' loops, can be late for it; a sampler scrape that
   * came first would put its ~100 KB of garbage between the two readings (seen: allocated bytes per message
   * +25–45% in some A/A trials, allocations +3–9%).
   */
  scheduleWindow(fromMs: number, toMs: number): Promise<void>;
  /** A reading now; the first marks the window's start, the last its end. */
  read(): Promise<void>;
  /**
   * Takes the closing reading now when the window is over but its timer has not had its turn (the phase can end,
   * its last echo back, a moment after the window does, on a busy loop), then waits for scrapes in flight.
   */
  settle(): Promise<void>;
  /** Cancels readings not yet taken (a window cut short ends without its closing reading) and settles. */
  finish(): Promise<void>;
  summarize(figures: WindowFigures): ServerCostReport;
}

export function createServerCostMeter(options: ServerCostMeterOptions): ServerCostMeter {
  const clock = options.clock ?? (() => performance.now());
  const notes: string[] = [];
  const note = (text: string): void => {
    if (!notes.includes(text)) notes.push(text);
  };
  let rssBeforeOpenBytes: number | null = null;
  let rssAfterOpenBytes: number | null = null;
  const cpuReadings: TreeCpuReading[] = [];
  const counterReadings: Array<RuntimeCounterReading | null> = [];
  const inFlight = new Set<Promise<void>>();
  let timers: NodeJS.Timeout[] = [];
  /** The scheduled closing reading, until it is taken: when it is due, and who waits for it. */
  let closing: { dueMs: number; done: () => void } | undefined;

  const readRss = (): number | null => {
    const tree = readProcessTree(options.pid, { procRoot: options.procRoot, clockTicksPerSecond: options.clockTicksPerSecond, pageSizeBytes: options.pageSizeBytes });
    if (tree.processes.length > 0) return tree.rssBytes;
    note(`the server (pid ${options.pid}) was not in /proc when its memory was read`);
    return null;
  };

  const scrapeCounters = async (): Promise<void> => {
    if (options.metricsUrl === undefined) return;
    const index = counterReadings.push(null) - 1;
    try {
      const { families } = await scrapeMetrics(options.metricsUrl, { ...(options.fetch === undefined ? {} : { fetch: options.fetch }), ...(options.scrapeTimeoutMs === undefined ? {} : { timeoutMs: options.scrapeTimeoutMs }) });
      // client_golang gathers before it writes: when the body arrives, the counters have been read.
      const atMs = clock();
      const { allocBytesTotal, mallocsTotal, gcCount } = metricsFromFamilies(families);
      counterReadings[index] = { atMs, ...(allocBytesTotal === undefined ? {} : { allocBytesTotal }), ...(mallocsTotal === undefined ? {} : { mallocsTotal }), ...(gcCount === undefined ? {} : { gcCount }) };
    } catch (error) {
      note(`the window's allocation counters are missing: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const track = (pending: Promise<void>): Promise<void> => {
    inFlight.add(pending);
    return pending.finally(() => inFlight.delete(pending));
  };

  const readCpu = (): void => {
    try {
      const reading = readTreeCpu(options.pid, { procRoot: options.procRoot, clockTicksPerSecond: options.clockTicksPerSecond, clock });
      if (reading.processes.size > 0) cpuReadings.push(reading);
      else note(`the server (pid ${options.pid}) was not in /proc at a CPU reading`);
    } catch (error) {
      note(`reading the server's CPU failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const read = (): Promise<void> => {
    readCpu();
    return track(scrapeCounters());
  };

  const takeClosingReading = (): void => {
    const taken = closing;
    closing = undefined;
    if (taken !== undefined) void read().then(taken.done);
  };

  /** The window is over without its closing reading: whoever waits for it stops waiting. */
  const dropClosingReading = (): void => {
    closing?.done();
    closing = undefined;
  };

  const settle = async (): Promise<void> => {
    if (closing !== undefined && clock() >= closing.dueMs) takeClosingReading();
    await Promise.all([...inFlight]);
  };

  return {
    beforeOpen() {
      rssBeforeOpenBytes = readRss();
    },
    afterOpen() {
      rssAfterOpenBytes = readRss();
    },
    scheduleWindow(fromMs, toMs) {
      for (const timer of timers) clearTimeout(timer);
      dropClosingReading();
      const at = (ms: number, action: () => void): NodeJS.Timeout => setTimeout(action, Math.max(0, ms - clock()));
      timers = [
        // A scrape allocates (~100 KB in client_golang) after it has read the counters: the opening one
        // goes a little early, so its own garbage stays out of the window.
        at(fromMs - COUNTER_SCRAPE_LEAD_MS, () => void track(scrapeCounters())),
        at(fromMs, readCpu),
        at(toMs, takeClosingReading),
      ];
      return new Promise<void>((done) => {
        closing = { dueMs: toMs, done };
      });
    },
    read,
    settle,
    async finish() {
      for (const timer of timers) clearTimeout(timer);
      timers = [];
      await settle();
      dropClosingReading();
    },
    summarize(figures) {
      const windowNotes = [...notes];
      if (cpuReadings.length < 2) windowNotes.push('the server\'s CPU was not read at both ends of the measured window (the run ended early)');
      const cpu = cpuReadings.length < 2 ? null : treeCpuBetween(cpuReadings);
      if (options.metricsUrl === undefined) windowNotes.push('no metrics endpoint is known for the server: no allocation or GC figures');
      return computeServerCost({
        ...figures,
        cpu,
        rssBeforeOpenBytes,
        rssAfterOpenBytes,
        countersAtStart: counterReadings.length >= 2 ? (counterReadings[0] ?? null) : null,
        countersAtEnd: counterReadings.length >= 2 ? (counterReadings.at(-1) ?? null) : null,
        countersCoverTree: options.metricsCoverTree ?? true,
        notes: windowNotes,
      });
    },
  };
}
