import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BASELINE_SCHEMA_VERSION, baselineFile, findBaseline, listBaselines, readBaseline, writeBaseline } from '../../src/compare/baseline-store.js';
import type { Baseline, BaselineLoad } from '../../src/compare/baseline-store.js';
import { ConfigError } from '../../src/errors.js';

const load: BaselineLoad = { connections: 1000, ratePerConnection: 5, messageBytes: 1024, durationMs: 10_000, warmupMs: 2_000 };

function baseline(overrides: Partial<Baseline> = {}): Baseline {
  return {
    schemaVersion: BASELINE_SCHEMA_VERSION,
    kind: 'baseline',
    target: 'gobwas:model=epoll',
    scenario: 'mid-conn-mid-msg',
    load,
    commit: 'a'.repeat(40),
    tag: 'v1.0.0',
    recordedAt: '2026-11-01T10:00:00.000Z',
    env: { node: '20.20.2', os: 'linux', kernel: '6.1', cpuModel: 'cpu', cores: 2, memBytes: 1, fingerprint: 'f1' },
    tool: { name: 'wsbench', version: '0.1.0' },
    trials: [{ summary: { arm: 'a', index: 0, status: 'completed', achievedPerSec: 5000, p50Ms: 0.4, p99Ms: 2, errors: 0, attempted: 41000, errorRate: 0, saturated: false, saturationReasons: [] }, histogram: null }],
    ...overrides,
  };
}

describe('the baseline store', () => {
  it('keeps one small file per target × scenario × commit, and reads it back', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-baselines-'));
    const file = writeBaseline(dir, baseline());
    expect(file).toBe(baselineFile(dir, 'gobwas:model=epoll', 'mid-conn-mid-msg', 'a'.repeat(40)));
    expect(path.relative(dir, file)).toBe(path.join('gobwas_model=epoll', 'mid-conn-mid-msg', 'aaaaaaaaaaaa.json'));
    expect(readBaseline(file).trials[0]!.summary.achievedPerSec).toBe(5000);
  });

  it('finds the newest baseline with the same load and an identical environment fingerprint', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-baselines-'));
    writeBaseline(dir, baseline({ commit: 'b'.repeat(40), recordedAt: '2026-11-02T00:00:00.000Z' }));
    writeBaseline(dir, baseline({ commit: 'c'.repeat(40), recordedAt: '2026-11-03T00:00:00.000Z', env: { ...baseline().env, fingerprint: 'other' } }));
    writeBaseline(dir, baseline({ commit: 'd'.repeat(40), recordedAt: '2026-11-04T00:00:00.000Z', load: { ...load, connections: 2000 } }));
    const found = findBaseline(dir, { target: 'gobwas:model=epoll', scenario: 'mid-conn-mid-msg', load, fingerprint: 'f1' });
    expect(found.status).toBe('found');
    expect(found.status === 'found' && found.baseline.commit).toBe('b'.repeat(40));
  });

  it('reports a missing baseline as a named warning with the reason, never as an error', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-baselines-'));
    const reason = `no baseline recorded for gobwas × x in ${dir}/`;
    expect(findBaseline(dir, { target: 'gobwas', scenario: 'x', load, fingerprint: 'f1' })).toEqual({ status: 'missing', reason, warnings: [{ code: 'BASELINE_MISSING', message: reason }] });
    writeBaseline(dir, baseline({ target: 'gobwas', scenario: 'x', env: { ...baseline().env, fingerprint: 'elsewhere' } }));
    const other = findBaseline(dir, { target: 'gobwas', scenario: 'x', load, fingerprint: 'f1' });
    expect(other.status).toBe('missing');
    expect(other.status === 'missing' && other.reason).toMatch(/BASELINE_OTHER_MACHINE/);
    expect(other.warnings[0]?.message).toMatch(/recorded on another machine class \(fingerprint elsewhere ≠ this machine's f1\); record baselines on this one, or compare A\/B in one job/);
  });

  it('names a corrupt baseline file and what is wrong with it, and never crashes the lookup', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-baselines-'));
    const folder = path.join(dir, 'gobwas', 'x');
    mkdirSync(folder, { recursive: true });
    const truncated = path.join(folder, '0123456789ab.json');
    writeFileSync(truncated, '{"schemaVersion": 1, "kind": "base');
    expect(() => readBaseline(truncated)).toThrow(ConfigError);
    expect(() => readBaseline(truncated)).toThrow(new RegExp(`Baseline ${truncated} is not readable JSON`));
    const lookup = findBaseline(dir, { target: 'gobwas', scenario: 'x', load, fingerprint: 'f1' });
    expect(lookup.status).toBe('missing');
    expect(lookup.warnings).toEqual([expect.objectContaining({ code: 'BASELINE_CORRUPT', file: truncated })]);
    expect(lookup.status === 'missing' && lookup.reason).toBe('no usable baseline for gobwas × x: BASELINE_CORRUPT');

    const wrongShape = path.join(folder, 'ba5e1111e000.json');
    writeFileSync(wrongShape, JSON.stringify({ kind: 'baseline', schemaVersion: 1, target: 'gobwas', trials: [] }));
    expect(() => readBaseline(wrongShape)).toThrow(/scenario: expected a string[\s\S]*load\.connections: expected a number[\s\S]*trials: expected a non-empty array/);
    expect(listBaselines(dir).filter((entry) => entry.problem !== undefined)).toHaveLength(2);
  });

  it('still uses a good baseline beside a corrupt one, and names the corrupt one', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-baselines-'));
    const good = writeBaseline(dir, baseline({ target: 'gobwas', scenario: 'x' }));
    const bad = path.join(path.dirname(good), '000000000000.json');
    writeFileSync(bad, 'not json');
    const lookup = findBaseline(dir, { target: 'gobwas', scenario: 'x', load, fingerprint: 'f1' });
    expect(lookup.status === 'found' && lookup.file).toBe(good);
    expect(lookup.warnings.map((w) => [w.code, w.file])).toEqual([['BASELINE_CORRUPT', bad]]);
  });

  it('names a baseline of another schema version, another load and another machine, field by field', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-baselines-'));
    const basis = { cpuModel: 'cpu', cores: 2, kernel: '6.1', node: '20.20', tool: '0.1.0' };
    const future = writeBaseline(dir, baseline({ target: 'gobwas', scenario: 'x', commit: '1'.repeat(40), schemaVersion: 99 }));
    const otherLoad = writeBaseline(dir, baseline({ target: 'gobwas', scenario: 'x', commit: '2'.repeat(40), load: { ...load, connections: 2000 } }));
    const otherMachine = writeBaseline(dir, baseline({ target: 'gobwas', scenario: 'x', commit: '3'.repeat(40), env: { ...baseline().env, fingerprint: 'f9', fingerprintBasis: { ...basis, cores: 4 } } }));
    const lookup = findBaseline(dir, { target: 'gobwas', scenario: 'x', load, fingerprint: 'f1', basis });
    expect(lookup.status).toBe('missing');
    const byFile = Object.fromEntries(lookup.warnings.map((w) => [w.file, w]));
    expect(byFile[future]).toMatchObject({ code: 'BASELINE_SCHEMA', message: expect.stringMatching(/schemaVersion 99; this wsbench reads 1/) });
    expect(byFile[otherLoad]).toMatchObject({ code: 'BASELINE_OTHER_LOAD', message: expect.stringMatching(/2000 conns .* this run: 1000 conns/) });
    expect(byFile[otherMachine]).toMatchObject({ code: 'BASELINE_OTHER_MACHINE', message: expect.stringMatching(/fingerprint f9 ≠ this machine's f1: cores 4, here 2/) });
  });

  it('treats a baseline of evenly spaced sends as another load for a driver that sends ahead, and names both patterns', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-baselines-'));
    // Recorded before the driver sent ahead: no sendAheadMs in its load.
    const even = writeBaseline(dir, baseline({ commit: 'a'.repeat(40) }));
    const query = { target: 'gobwas:model=epoll', scenario: 'mid-conn-mid-msg', load: { ...load, sendAheadMs: 1 }, fingerprint: 'f1' };
    const lookup = findBaseline(dir, query);
    expect(lookup.status).toBe('missing');
    expect(lookup.warnings).toEqual([{ code: 'BASELINE_OTHER_LOAD', file: even, message: expect.stringMatching(/evenly spaced sends; this run: .* sends up to 1 ms ahead\)$/) }]);
    writeBaseline(dir, baseline({ commit: 'b'.repeat(40), load: { ...load, sendAheadMs: 1 } }));
    expect(findBaseline(dir, query).status).toBe('found');
  });

  it('uses a baseline only when it was pinned like this run, and names the difference when not', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-baselines-'));
    const pinned = { targetCpus: [0], driverCpus: [1] };
    writeBaseline(dir, baseline({ commit: 'e'.repeat(40), cpuPinning: pinned }));
    const query = { target: 'gobwas:model=epoll', scenario: 'mid-conn-mid-msg', load, fingerprint: 'f1' };
    expect(findBaseline(dir, { ...query, cpuPinning: { targetCpus: [0], driverCpus: [1] } }).status).toBe('found');
    const unpinned = findBaseline(dir, { ...query, cpuPinning: null });
    expect(unpinned.status).toBe('missing');
    expect(unpinned.status === 'missing' && unpinned.reason).toMatch(/no usable baseline for gobwas:model=epoll × mid-conn-mid-msg: BASELINE_OTHER_PINNING/);
    expect(unpinned.warnings).toEqual([
      expect.objectContaining({ code: 'BASELINE_OTHER_PINNING', message: expect.stringMatching(/was recorded with target on CPU 0, driver on CPU 1; this run: not pinned\. CPU per message is not comparable across pinnings/) }),
    ]);
    writeBaseline(dir, baseline({ commit: 'f'.repeat(40) }));
    const older = findBaseline(dir, { ...query, cpuPinning: { targetCpus: [1], driverCpus: [0] } });
    expect(older.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/eeeeeeeeeeee\.json was recorded with target on CPU 0, driver on CPU 1; this run: target on CPU 1, driver on CPU 0/),
      expect.stringMatching(/ffffffffffff\.json was recorded with no record of pinning \(a file from before wsbench recorded it\)/),
    ]);
  });
});
