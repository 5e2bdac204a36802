import { describe, expect, it } from 'vitest';
import { formatTick, logTicks, niceTicks, renderLineChart } from '../../src/report/svg-chart.js';
import { renderIntervalChart } from '../../src/report/svg-interval-chart.js';

const pathData = (svg: string): string[] => [...svg.matchAll(/<path[^>]* d="([^"]*)"/g)].map((m) => m[1] ?? '');

describe('niceTicks', () => {
  it('covers the data with round steps', () => {
    expect(niceTicks(0, 9.5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(1000, 8000)).toEqual([0, 2000, 4000, 6000, 8000]);
    expect(niceTicks(0.13, 0.87)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('spreads a single value into a range instead of dividing by zero', () => {
    const ticks = niceTicks(500, 500);
    expect(ticks[0]).toBeLessThan(500);
    expect(ticks.at(-1)).toBeGreaterThan(500);
  });
});

describe('logTicks', () => {
  it('uses 1, 2, 5 within a narrow range and decades across a wide one', () => {
    expect(logTicks(0.6, 9)).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10]);
    expect(logTicks(0.5, 640)).toEqual([0.1, 1, 10, 100, 1000]);
  });
});

describe('formatTick', () => {
  it('writes compact labels', () => {
    expect([0, 0.5, 2, 12, 1500, 80_000, 2_000_000].map(formatTick)).toEqual(['0', '0.5', '2', '12', '1.5k', '80k', '2M']);
  });
});

describe('renderLineChart', () => {
  const chart = (extra: Partial<Parameters<typeof renderLineChart>[0]> = {}): string =>
    renderLineChart({
      title: 'Latency by second',
      xLabel: 'seconds',
      yLabel: 'latency (ms)',
      series: [
        { name: 'p50', points: [[0, 1], [1, 1.2], [2, null], [3, 1.1]] },
        { name: 'p99', points: [[0, 5], [1, 9], [2, 40], [3, 7]] },
      ],
      ...extra,
    });

  it('draws one path per series, breaking the line at a gap', () => {
    const paths = pathData(chart());
    expect(paths).toHaveLength(2);
    expect(paths[0]).toMatch(/^M[\d.]+ [\d.]+L[\d.]+ [\d.]+ M[\d.]+ [\d.]+$/);
    expect(paths[1]).toMatch(/^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+){3}$/);
  });

  it('names itself, labels both axes with units and has a legend entry per series', () => {
    const svg = chart();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*><title>Latency by second<\/title>/);
    expect(svg).toContain('>latency (ms)</text>');
    expect(svg).toContain('>seconds</text>');
    expect(svg).toContain('>p50</text>');
    expect(svg).toContain('>p99</text>');
  });

  it('says when it uses a log scale and drops values a log axis cannot show', () => {
    const svg = chart({ yScale: 'log', series: [{ name: 'p99', points: [[0, 0], [1, 2], [2, 30]] }] });
    expect(svg).toContain('latency (ms), log scale');
    expect(pathData(svg)[0]).toMatch(/^M[\d.]+ [\d.]+L[\d.]+ [\d.]+$/);
    expect(svg).toContain('>100</text>');
  });

  it('draws the marker and the shaded band with their labels', () => {
    const svg = chart({ marker: { x: 2, label: 'knee' }, bands: [{ fromX: 0, toX: 1, label: 'warm-up' }] });
    expect(svg).toMatch(/<line class="marker"[^>]*>/);
    expect(svg).toContain('>knee</text>');
    expect(svg).toMatch(/<rect class="band"[^>]*width="[1-9][\d.]*"/);
    expect(svg).toContain('>warm-up</text>');
  });

  it('escapes text so a series name cannot break the markup', () => {
    expect(chart({ series: [{ name: '<A & B>', points: [[0, 1], [1, 2]] }] })).toContain('&lt;A &amp; B&gt;');
  });

  it('says there is nothing to plot rather than drawing empty axes', () => {
    const svg = chart({ series: [{ name: 'p99', points: [[0, null]] }] });
    expect(svg).toContain('no data to plot');
    expect(pathData(svg)).toHaveLength(0);
  });
});

describe('renderIntervalChart', () => {
  it('draws the whisker, the dot and the gate in the verdict colour', () => {
    const svg = renderIntervalChart({ title: 'p99 change', axisLabel: 'change B vs A (%)', estimate: 41, low: 33, high: 49, gate: 15, verdict: 'FAIL' });
    expect(pathData(svg)).toHaveLength(1);
    expect(svg).toContain('stroke="#cf222e"');
    expect(svg).toContain('>gate 15</text>');
    expect(svg).toMatch(/<circle [^>]*fill="#cf222e"/);
  });

  it('says a metric was not compared when there is no estimate', () => {
    expect(renderIntervalChart({ title: 'p99 change', axisLabel: '%', estimate: null, low: null, high: null, gate: 15, verdict: 'INCONCLUSIVE' })).toContain('not compared');
  });
});
