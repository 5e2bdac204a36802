/** One per-second reading of the target: its whole process tree from /proc, plus its /metrics when exposed. */
export interface ServerSample {
  /** Milliseconds since the run started (the scenario's time zero, warm-up included). */
  elapsedMs: number;
  /** Wall time this sample's CPU was measured over (0 for the first reading when there was no baseline). */
  intervalMs?: number;
  /** CPU used by the process tree over the last interval, in percent of one core (200 = two cores busy). */
  cpuPercent: number;
  rssBytes: number;
  openFds: number;
  threads: number;
  processes: number;
  /** From the target's Prometheus /metrics, when it exposes them. */
  goroutines?: number;
  heapInuseBytes?: number;
  /** Go's cumulative `go_memstats_alloc_bytes_total` and `go_memstats_mallocs_total`. */
  allocBytesTotal?: number;
  mallocsTotal?: number;
  gcCount?: number;
  /** GC pause quantiles from `go_gc_duration_seconds` (seconds → ms). */
  gcPauseP50Ms?: number;
  gcPauseMaxMs?: number;
}
