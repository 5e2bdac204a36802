/** The metrics a comparison judges, and a scenario's `gates` may set a tolerance for. */
export type MetricName = 'throughput' | 'p50' | 'p99' | 'errors';
