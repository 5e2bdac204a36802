/** The metrics a comparison judges, and a scenario's `gates` may set a tolerance for (compare/metric-catalog.ts says how). */
export type MetricName =
  | 'throughput'
  | 'p50'
  | 'p99'
  | 'errors'
  | 'cpuPerMessage'
  | 'allocBytesPerMessage'
  | 'allocsPerMessage'
  | 'memoryPerConnection'
  | 'gcPer10kMessages';
