import { performance } from 'node:perf_hooks';
import { metricsFromFamilies } from './runtime-metrics.js';
import { DEFAULT_SCRAPE_TIMEOUT_MS, scrapeMetrics } from './scrape-metrics.js';
import { readProcessTree } from './process-tree.js';
import type { ProcessTreeReading } from './process-tree.js';
import type { ServerSample } from './server-sample.js';

/**
 * Samples the target while it runs: its process tree from /proc and, when it exposes them, its
 * Prometheus /metrics. CPU is the tree's utime+stime difference between two readings over the wall time
 * between them; a process that appears between readings counts from its first reading, one that exits
 * takes its last interval with it. A failed scrape is counted and remembered, never thrown.
 */

export const DEFAULT_SAMPLE_INTERVAL_MS = 1000;
export { DEFAULT_SCRAPE_TIMEOUT_MS } from './scrape-metrics.js';
export { metricsFromFamilies } from './runtime-metrics.js';

export interface ServerSamplerOptions {
  rootPid: number;
  /** The target's Prometheus endpoint, e.g. `http://127.0.0.1:9100/metrics`. */
  metricsUrl?: string;
  /** Milliseconds from a monotonic source. @default performance.now */
  clock?: () => number;
  /** @default 1000 */
  intervalMs?: number;
  /** @default 800 */
  scrapeTimeoutMs?: number;
  /** The clock reading that is the run's time zero, for `elapsedMs`. @default the clock at `start()` */
  timeZeroMs?: number;
  /** @default '/proc' */
  procRoot?: string;
  /** @default `getconf CLK_TCK` */
  clockTicksPerSecond?: number;
  /** @default `getconf PAGESIZE` */
  pageSizeBytes?: number;
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  onSample?: (sample: ServerSample) => void;
}

export interface ScrapeStats {
  attempts: number;
  failures: number;
  lastError: string | null;
  /** Lines of the scrapes that could not be parsed (the rest of each scrape is still used). */
  parseErrors: number;
}

export interface ServerSampler {
  /** Takes the baseline reading and samples every interval until `stop()`. */
  start(): void;
  /** Stops sampling and returns every sample taken. A sample still in flight is dropped. */
  stop(): ServerSample[];
  /** Takes a sample now (also while stopped), appends it to `samples` and tells the listeners. */
  sampleNow(): Promise<ServerSample>;
  /**
   * Starts no scrape from this clock time (the measured window's start) until the returned function is called
   * (its closing reading is in): a scrape costs the server CPU and allocations (~100 KB and ~1.5 ms for
   * client_golang), which would count as the messages' cost. /proc is still read. Replaces an earlier quiet
   * period; ending a replaced one does nothing.
   */
  quietFrom(fromMs: number): () => void;
  readonly samples: readonly ServerSample[];
  readonly scrape: Readonly<ScrapeStats>;
  /** The last error reading /proc, e.g. when it does not exist; sampling goes on. */
  readonly lastSampleError: Error | null;
  /** Returns a function that removes the listener. */
  on(event: 'sample', listener: (sample: ServerSample) => void): () => void;
}

interface Reading {
  atMs: number;
  /** CPU seconds by `pid:startTicks`. */
  cpuByProcess: Map<string, number>;
}

export function createServerSampler(options: ServerSamplerOptions): ServerSampler {
  const clock = options.clock ?? (() => performance.now());
  const intervalMs = options.intervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS;
  const fetchMetrics = options.fetch ?? globalThis.fetch;
  const listeners = new Set<(sample: ServerSample) => void>();
  if (options.onSample !== undefined) listeners.add(options.onSample);

  const samples: ServerSample[] = [];
  const scrape: ScrapeStats = { attempts: 0, failures: 0, lastError: null, parseErrors: 0 };
  let timeZeroMs = options.timeZeroMs;
  let previous: Reading | undefined;
  let timer: NodeJS.Timeout | undefined;
  let generation = 0;
  let tickInFlight = false;
  let lastSampleError: Error | null = null;
  let quiet: { fromMs: number } | undefined;

  const readTree = (): ProcessTreeReading => readProcessTree(options.rootPid, {
    procRoot: options.procRoot,
    clockTicksPerSecond: options.clockTicksPerSecond,
    pageSizeBytes: options.pageSizeBytes,
  });

  const scrapeOnce = async (): Promise<Partial<ServerSample>> => {
    if (options.metricsUrl === undefined) return {};
    scrape.attempts += 1;
    try {
      const { families, parseErrors } = await scrapeMetrics(options.metricsUrl, {
        fetch: fetchMetrics,
        timeoutMs: options.scrapeTimeoutMs ?? DEFAULT_SCRAPE_TIMEOUT_MS,
      });
      scrape.parseErrors += parseErrors;
      return metricsFromFamilies(families);
    } catch (error) {
      scrape.failures += 1;
      scrape.lastError = error instanceof Error ? error.message : String(error);
      return {};
    }
  };

  /** Reads /proc before the first `await`, so a timer tick's reading is taken at the tick. */
  const measure = async (): Promise<ServerSample> => {
    const tree = readTree();
    const reading: Reading = { atMs: clock(), cpuByProcess: cpuByProcess(tree) };
    timeZeroMs ??= reading.atMs;
    const base = previous ?? reading;
    previous = reading;
    return {
      elapsedMs: reading.atMs - timeZeroMs,
      intervalMs: reading.atMs - base.atMs,
      cpuPercent: cpuPercentBetween(base, reading),
      rssBytes: tree.rssBytes,
      openFds: tree.openFds,
      threads: tree.threads,
      processes: tree.processes.length,
      ...(quiet !== undefined && reading.atMs >= quiet.fromMs ? {} : await scrapeOnce()),
    };
  };

  const publish = (sample: ServerSample): ServerSample => {
    samples.push(sample);
    for (const listener of listeners) listener(sample);
    return sample;
  };

  const recordError = (error: unknown): void => {
    lastSampleError = error instanceof Error ? error : new Error(String(error));
  };

  const tick = (): void => {
    if (tickInFlight) return; // a slow scrape: skip a beat rather than pile up
    tickInFlight = true;
    const startedIn = generation;
    measure()
      .then((sample) => {
        // `stop()` came while the scrape was in flight: the run is over, drop it.
        if (startedIn === generation) publish(sample);
      })
      .catch(recordError)
      .finally(() => {
        tickInFlight = false;
      });
  };

  return {
    start() {
      if (timer !== undefined) return;
      timeZeroMs ??= clock();
      if (previous === undefined) {
        // The baseline: the first sample's CPU is measured from here.
        try {
          const tree = readTree();
          previous = { atMs: clock(), cpuByProcess: cpuByProcess(tree) };
        } catch (error) {
          recordError(error);
        }
      }
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      generation += 1;
      return [...samples];
    },
    sampleNow: async () => publish(await measure()),
    quietFrom(fromMs) {
      const period = { fromMs };
      quiet = period;
      return () => {
        if (quiet === period) quiet = undefined;
      };
    },
    get samples() {
      return samples;
    },
    get scrape() {
      return scrape;
    },
    get lastSampleError() {
      return lastSampleError;
    },
    on(_event, listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Keyed by PID and start time, so a reused PID is a new process. */
function cpuByProcess(tree: ProcessTreeReading): Map<string, number> {
  return new Map(tree.processes.map((p) => [`${p.pid}:${p.startTicks}`, p.cpuSeconds]));
}

function cpuPercentBetween(before: Reading, after: Reading): number {
  const wallSeconds = (after.atMs - before.atMs) / 1000;
  if (wallSeconds <= 0) return 0;
  let cpuSeconds = 0;
  for (const [key, cpu] of after.cpuByProcess) {
    const earlier = before.cpuByProcess.get(key);
    if (earlier !== undefined) cpuSeconds += Math.max(0, cpu - earlier);
  }
  return (cpuSeconds / wallSeconds) * 100;
}

export interface ServerSummary {
  /** Mean over the window, weighted by each sample's interval: total CPU time over total wall time. */
  cpuPercent: number | null;
  peakRssBytes: number | null;
  peakOpenFds: number | null;
  peakThreads: number | null;
  peakProcesses: number | null;
  peakGoroutines: number | null;
  peakHeapInuseBytes: number | null;
  /** Garbage collections during the window (last count − first count). */
  gcCount: number | null;
  gcPauseMaxMs: number | null;
}

export interface SummarizeServerSamplesOptions {
  /** Leave out samples taken at or before this `elapsedMs` (the warm-up). @default 0 */
  fromElapsedMs?: number;
  /** @default Infinity */
  toElapsedMs?: number;
}

/** `null` where no sample in the window carries the value. */
export function summarizeServerSamples(
  samples: readonly ServerSample[],
  options: SummarizeServerSamplesOptions = {},
): ServerSummary {
  const from = options.fromElapsedMs ?? 0;
  const to = options.toElapsedMs ?? Infinity;
  const window = samples.filter((s) => (from <= 0 || s.elapsedMs > from) && s.elapsedMs <= to);

  // Samples without `intervalMs` (older files) weigh the same; a zero interval measured nothing.
  let weightedCpu = 0;
  let totalWeight = 0;
  for (const sample of window) {
    const weight = sample.intervalMs ?? 1;
    weightedCpu += sample.cpuPercent * weight;
    totalWeight += weight;
  }

  const gcCounts = window.map((s) => s.gcCount).filter((n): n is number => n !== undefined);
  return {
    cpuPercent: totalWeight > 0 ? weightedCpu / totalWeight : null,
    peakRssBytes: peak(window, (s) => s.rssBytes),
    peakOpenFds: peak(window, (s) => s.openFds),
    peakThreads: peak(window, (s) => s.threads),
    peakProcesses: peak(window, (s) => s.processes),
    peakGoroutines: peak(window, (s) => s.goroutines),
    peakHeapInuseBytes: peak(window, (s) => s.heapInuseBytes),
    gcCount: gcCounts.length > 0 ? (gcCounts.at(-1) ?? 0) - (gcCounts[0] ?? 0) : null,
    gcPauseMaxMs: peak(window, (s) => s.gcPauseMaxMs),
  };
}

function peak(samples: readonly ServerSample[], pick: (sample: ServerSample) => number | undefined): number | null {
  let max: number | null = null;
  for (const sample of samples) {
    const value = pick(sample);
    if (value !== undefined && !Number.isNaN(value) && (max === null || value > max)) max = value;
  }
  return max;
}
