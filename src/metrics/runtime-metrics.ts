import { findFamily, findQuantile, findValue } from './prometheus-text.js';
import type { PrometheusFamily } from './prometheus-text.js';
import type { ServerSample } from './server-sample.js';

/** Maps a Go (client_golang) or Node (prom-client) target's runtime metrics onto a sample. */
export function metricsFromFamilies(families: readonly PrometheusFamily[]): Partial<ServerSample> {
  const metrics: Partial<ServerSample> = {};
  const goroutines = findValue(families, 'go_goroutines');
  if (goroutines !== undefined) metrics.goroutines = goroutines;
  const heapInuse = findValue(families, 'go_memstats_heap_inuse_bytes') ?? findValue(families, 'nodejs_heap_size_used_bytes');
  if (heapInuse !== undefined) metrics.heapInuseBytes = heapInuse;
  // Go's cumulative allocation counters: what a message costs the garbage collector.
  const allocBytes = findValue(families, 'go_memstats_alloc_bytes_total');
  if (allocBytes !== undefined) metrics.allocBytesTotal = allocBytes;
  const mallocs = findValue(families, 'go_memstats_mallocs_total');
  if (mallocs !== undefined) metrics.mallocsTotal = mallocs;

  const gc = findFamily(families, 'go_gc_duration_seconds');
  if (gc !== undefined) {
    const count = findValue(families, 'go_gc_duration_seconds_count');
    const p50Seconds = findQuantile(gc, 0.5);
    const maxSeconds = findQuantile(gc, 1);
    if (count !== undefined) metrics.gcCount = count;
    if (p50Seconds !== undefined && !Number.isNaN(p50Seconds)) metrics.gcPauseP50Ms = p50Seconds * 1000;
    if (maxSeconds !== undefined && !Number.isNaN(maxSeconds)) metrics.gcPauseMaxMs = maxSeconds * 1000;
  }
  const nodeGc = findFamily(families, 'nodejs_gc_duration_seconds');
  if (gc === undefined && nodeGc !== undefined) {
    // prom-client: a histogram per GC kind; the count is their sum.
    metrics.gcCount = nodeGc.samples
      .filter((sample) => sample.name === 'nodejs_gc_duration_seconds_count')
      .reduce((total, sample) => total + sample.value, 0);
  }
  return metrics;
}
