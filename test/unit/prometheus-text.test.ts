import { describe, expect, it } from 'vitest';
import {
  findFamily,
  findQuantile,
  findSample,
  findValue,
  parsePrometheusText,
} from '../../src/metrics/prometheus-text.js';

// Trimmed from a real client_golang (v1.19) /metrics page: process and Go collectors plus an app histogram.
const GO_CLIENT_OUTPUT = `# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.4e-05
go_gc_duration_seconds{quantile="0.25"} 3.9101e-05
go_gc_duration_seconds{quantile="0.5"} 4.6399e-05
go_gc_duration_seconds{quantile="0.75"} 6.3611e-05
go_gc_duration_seconds{quantile="1"} 0.000431262
go_gc_duration_seconds_sum 0.012584536
go_gc_duration_seconds_count 187
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 10042
# HELP go_info Information about the Go environment.
# TYPE go_info gauge
go_info{version="go1.22.3"} 1
# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 4.4769280e+07
# HELP go_memstats_alloc_bytes_total Total number of bytes allocated, even if freed.
# TYPE go_memstats_alloc_bytes_total counter
go_memstats_alloc_bytes_total 1.523764264e+09
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.47
# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1.71806553289e+09
# HELP echo_frame_bytes Size of echoed frames.
# TYPE echo_frame_bytes histogram
echo_frame_bytes_bucket{op="text",le="64"} 120
echo_frame_bytes_bucket{op="text",le="1024"} 9001
echo_frame_bytes_bucket{op="text",le="+Inf"} 9050
echo_frame_bytes_sum{op="text"} 4.2e+06
echo_frame_bytes_count{op="text"} 9050
# HELP promhttp_metric_handler_requests_total Total number of scrapes by HTTP status code.
# TYPE promhttp_metric_handler_requests_total counter
promhttp_metric_handler_requests_total{code="200"} 14
promhttp_metric_handler_requests_total{code="500"} 0
promhttp_metric_handler_requests_total{code="503"} 0
`;

describe('parsePrometheusText', () => {
  it('parses a real client_golang page without errors and groups samples under their family', () => {
    const { families, errors } = parsePrometheusText(GO_CLIENT_OUTPUT);

    expect(errors).toEqual([]);
    expect(families.map((f) => f.name)).toEqual([
      'go_gc_duration_seconds',
      'go_goroutines',
      'go_info',
      'go_memstats_heap_inuse_bytes',
      'go_memstats_alloc_bytes_total',
      'process_cpu_seconds_total',
      'process_start_time_seconds',
      'echo_frame_bytes',
      'promhttp_metric_handler_requests_total',
    ]);
    expect(findValue(families, 'go_goroutines')).toBe(10042);
    expect(findValue(families, 'go_memstats_heap_inuse_bytes')).toBe(44_769_280);
    expect(findValue(families, 'promhttp_metric_handler_requests_total', { code: '200' })).toBe(14);
    expect(findFamily(families, 'go_info')?.help).toBe('Information about the Go environment.');
  });

  it('keeps a summary\'s quantiles, sum and count in one family', () => {
    const { families } = parsePrometheusText(GO_CLIENT_OUTPUT);
    const gc = findFamily(families, 'go_gc_duration_seconds');

    expect(gc?.type).toBe('summary');
    expect(gc?.samples).toHaveLength(7);
    expect(findQuantile(gc!, 0.5)).toBe(4.6399e-5);
    expect(findQuantile(gc!, 1)).toBe(0.000431262);
    expect(findValue(families, 'go_gc_duration_seconds_count')).toBe(187);
    expect(findValue(families, 'go_gc_duration_seconds_sum')).toBe(0.012584536);
  });

  it('keeps a histogram\'s buckets, sum and count in one family, with +Inf as Infinity', () => {
    const { families } = parsePrometheusText(GO_CLIENT_OUTPUT);
    const frames = findFamily(families, 'echo_frame_bytes');

    expect(frames?.type).toBe('histogram');
    expect(frames?.samples.map((s) => s.name)).toEqual([
      'echo_frame_bytes_bucket',
      'echo_frame_bytes_bucket',
      'echo_frame_bytes_bucket',
      'echo_frame_bytes_sum',
      'echo_frame_bytes_count',
    ]);
    expect(findSample(families, 'echo_frame_bytes_bucket', { le: '+Inf' })?.value).toBe(9050);
    expect(findSample(families, 'echo_frame_bytes_sum', { op: 'text' })?.value).toBe(4.2e6);
  });

  it('unescapes quotes, backslashes and newlines in label values and keeps commas inside them', () => {
    const text = String.raw`msg_total{path="C:\\srv\\ws",text="say \"hi\", then\nleave",empty=""} 3` + '\n';
    const { families, errors } = parsePrometheusText(text);

    expect(errors).toEqual([]);
    expect(families[0]?.samples[0]?.labels).toEqual({
      path: 'C:\\srv\\ws',
      text: 'say "hi", then\nleave',
      empty: '',
    });
  });

  it('accepts a trailing comma, spaces between labels and a sample without a TYPE line', () => {
    const { families, errors } = parsePrometheusText('loose{ a = "1" , b="2", } 7\n');

    expect(errors).toEqual([]);
    expect(families).toEqual([{ name: 'loose', type: 'untyped', samples: [{ name: 'loose', labels: { a: '1', b: '2' }, value: 7 }] }]);
  });

  it('reads +Inf, -Inf, NaN, exponents and timestamps', () => {
    const text = [
      'a +Inf',
      'b -Inf',
      'c NaN',
      'd 1.5e-3 1718065532890',
      'e -2E+2',
      'f .5 -12',
    ].join('\n');
    const { families, errors } = parsePrometheusText(text);

    expect(errors).toEqual([]);
    expect(findValue(families, 'a')).toBe(Infinity);
    expect(findValue(families, 'b')).toBe(-Infinity);
    expect(findValue(families, 'c')).toBeNaN();
    expect(findSample(families, 'd')).toEqual({ name: 'd', labels: {}, value: 0.0015, timestampMs: 1718065532890 });
    expect(findValue(families, 'e')).toBe(-200);
    expect(findSample(families, 'f')).toMatchObject({ value: 0.5, timestampMs: -12 });
  });

  it('unescapes HELP text and ignores ordinary comments and blank lines', () => {
    const text = '# a comment\n\n# HELP x Line one\\nback\\\\slash\n# TYPE x counter\r\nx 1\r\n';
    const { families, errors } = parsePrometheusText(text);

    expect(errors).toEqual([]);
    expect(families).toEqual([{ name: 'x', type: 'counter', help: 'Line one\nback\\slash', samples: [{ name: 'x', labels: {}, value: 1 }] }]);
  });

  it('reports each malformed line with its line number and keeps every good line', () => {
    const text = [
      '# TYPE good gauge',
      'good 1',
      'bad_value{a="1"} one',
      'unterminated{a="1} 2',
      'bad_escape{a="\\t"} 3',
      '{a="1"} 4',
      '# TYPE good counter',
      '# TYPE weird histogramz',
      'dup{a="1",a="2"} 5',
      'no_value{a="1"}',
      'too_many 1 2 3',
      'also_good{le="0.5"} 6',
    ].join('\n');
    const { families, errors } = parsePrometheusText(text);

    expect(errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(errors[0]).toEqual({ line: 3, message: 'invalid value `one`', text: 'bad_value{a="1"} one' });
    expect(errors.find((e) => e.line === 8)?.message).toMatch(/unknown type `histogramz`/);
    expect(errors.find((e) => e.line === 7)?.message).toBe('second # TYPE for `good`');
    expect(families.map((f) => f.name)).toEqual(['good', 'also_good']);
    expect(findValue(families, 'good')).toBe(1);
    expect(findValue(families, 'also_good', { le: '0.5' })).toBe(6);
  });

  it('reports a TYPE line that comes after the family\'s samples', () => {
    const { errors } = parsePrometheusText('late 1\n# TYPE late gauge\n');

    expect(errors).toEqual([{ line: 2, message: '# TYPE for `late` after its samples', text: '# TYPE late gauge' }]);
  });

  it('does not claim _count for a family that is not a summary or histogram', () => {
    const { families } = parsePrometheusText('# TYPE jobs gauge\njobs 1\njobs_count 2\n');

    expect(families.map((f) => [f.name, f.type])).toEqual([['jobs', 'gauge'], ['jobs_count', 'untyped']]);
  });

  it('matches quantiles by number, so "1.0" is quantile 1', () => {
    const { families } = parsePrometheusText('# TYPE rpc summary\nrpc{quantile="1.0"} 0.25\nrpc_count 3\n');

    expect(findQuantile(findFamily(families, 'rpc')!, 1)).toBe(0.25);
    expect(findQuantile(findFamily(families, 'rpc')!, 0.5)).toBeUndefined();
  });
});
