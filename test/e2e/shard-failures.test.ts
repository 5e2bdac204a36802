import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/run/run-result.js';
import { resolveTargetDefinition } from '../../src/targets/resolve-target.js';
import { startTarget } from '../../src/targets/target-process.js';
import type { RunningTarget } from '../../src/targets/target-process.js';
import { parseTargetSpec } from '../../src/targets/target-spec.js';
import { REPO_ROOT, descendantsOf, isAlive, readJson, runCli, startCli, waitForOutput } from '../support/cli.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-shard-faults-'));
let target: RunningTarget;

beforeAll(async () => {
  const spec = parseTargetSpec('gobwas:model=epoll');
  target = await startTarget({ definition: resolveTargetDefinition(spec), knobs: spec.knobs });
});
afterAll(async () => {
  await target?.stop();
});

const SCENARIO = ['--connections', '200', '--rate', '5', '--size', '64', '--duration', '6s', '--warmup', '1s'];

function canUseNetworkNamespaces(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: ip netns needs root';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'iproute2 (ip netns) is not usable here';
  }
  return undefined;
}
const noNamespaces = canUseNetworkNamespaces();

describe('shard failures are named and leave nothing behind', () => {
  it('a shard killed during the load: the other completes, the merge is partial and names it, its workers are gone', async () => {
    const port = 20_000 + ((process.pid + 13) % 20_000);
    const shard = (index: number) =>
      startCli(['run', '--url', target.url, ...SCENARIO, '--shard', `${index}/2`, '--rendezvous', `127.0.0.1:${port}`, '--json', path.join(outDir, `killed-${index}.json`)]);
    const survivor = shard(0);
    const victim = shard(1);
    await waitForOutput(victim, /waiting for the start/);
    // Into the load: the barrier's lead is ~1 s.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const workers = descendantsOf(victim.pid!);
    expect(workers.length).toBeGreaterThan(0);
    victim.kill('SIGKILL');
    await victim;
    const finished = await survivor;
    expect([0, 3]).toContain(finished.exitCode);
    expect(existsSync(path.join(outDir, 'killed-1.json'))).toBe(false);
    // Its driver workers exit when their coordinator's IPC channel closes.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(workers.filter(isAlive)).toEqual([]);

    const merge = await runCli(['merge', path.join(outDir, 'killed-0.json'), path.join(outDir, 'killed-1.json'), '--json', path.join(outDir, 'killed-merged.json')]);
    expect(merge.exitCode).toBe(3);
    expect(merge.stderr).toMatch(/The merged result is partial: shard 1\/2 is not in it/);
    expect(merge.stdout).toMatch(/✗ shard 1\/2 missing/);
    const merged = readJson<RunResult>(path.join(outDir, 'killed-merged.json'));
    expect(merged.partial).toBe(true);
    expect(merged.shards!.map((entry) => [entry.index, entry.status])).toEqual([[0, readJson<RunResult>(path.join(outDir, 'killed-0.json')).status], [1, 'missing']]);
    expect(merged.connections.established).toBe(100);
  });

  it.skipIf(noNamespaces !== undefined)(`namespace hosts: a killed shard and a shard that never starts are named, and every namespace is deleted${noNamespaces === undefined ? '' : ` (skipped: ${noNamespaces})`}`, async () => {
    const script = path.join(REPO_ROOT, 'scripts', 'netns-shards.sh');
    const env = { HOSTS: '3', CONNECTIONS: '300', RATE: '2', DURATION: '6s', WARMUP: '1s', PROCS: '1', WORKERS: '1', BARRIER_TIMEOUT: '20s' };
    const killed = await execa('bash', [script, path.join(outDir, 'ns-killed')], { reject: false, all: true, env: { ...env, KILL_SHARD: '2', KILL_AFTER: '5' }, timeout: 150_000 });
    expect(killed.all).toMatch(/killing shard 2\/3/);
    // Killed before or after the barrier (node's start-up on a busy machine decides), it is named either way.
    expect(killed.all).toMatch(/The merged result is partial: (shard \d\/3, )*shard 2\/3 (is|are) not in it/);
    expect(killed.exitCode).toBe(3);
    const skipped = await execa('bash', [script, path.join(outDir, 'ns-skipped')], { reject: false, all: true, env: { ...env, SKIP_SHARD: '1' }, timeout: 150_000 });
    expect(skipped.all).toMatch(/shard 1\/3 never reached the start barrier/);
    expect(skipped.exitCode).toBe(3);
    for (const run of [killed, skipped]) {
      const tag = /bridge in (wsb\d+)-sw/.exec(String(run.all))?.[1];
      expect(tag).toBeDefined();
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(`${tag}-`);
    }
  });
});
