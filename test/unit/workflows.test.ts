import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKFLOWS_DIR = join(ROOT, '.github', 'workflows');
const INSTALL_SCRIPT = join(ROOT, 'scripts', 'install-actionlint.sh');
// A cold install builds actionlint from the module proxy (and may fetch a Go toolchain first).
const INSTALL_TIMEOUT_MS = 300_000;
const LINT_TIMEOUT_MS = 60_000;
const PR_GATE = 'pr-gate.yml';
const RELEASE_BASELINES = 'release-baselines.yml';
const STICKY_MARKER = '<!-- wsbench-report -->';

type Mapping = Record<string, unknown>;

interface Step extends Mapping {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  with?: Mapping;
  env?: Mapping;
}

interface Job extends Mapping {
  permissions?: Mapping | string;
  if?: string;
  needs?: string | string[];
  steps?: Step[];
  concurrency?: unknown;
  'timeout-minutes'?: number;
}

interface Workflow extends Mapping {
  on?: unknown;
  permissions?: Mapping | string;
  concurrency?: Mapping | string;
  jobs: Record<string, Job>;
}

const workflowFiles = readdirSync(WORKFLOWS_DIR)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort();
const workflows = new Map(workflowFiles.map((name) => [name, readYaml(join(WORKFLOWS_DIR, name)) as Workflow]));

function readYaml(path: string): unknown {
  return parse(readFileSync(path, 'utf8'));
}

function workflow(name: string): Workflow {
  const found = workflows.get(name);
  if (found === undefined) throw new Error(`Expected .github/workflows/${name}; found ${workflowFiles.join(', ')}`);
  return found;
}

/** Event names of an `on:` value in any of its three forms (string, list, mapping). */
function eventNames(on: unknown): string[] {
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  if (on !== null && typeof on === 'object') return Object.keys(on);
  return [];
}

function allSteps(wf: Workflow): Step[] {
  return Object.values(wf.jobs).flatMap((job) => job.steps ?? []);
}

function isReadOnly(permissions: Mapping | string | undefined): boolean {
  if (permissions === undefined) return false;
  if (typeof permissions === 'string') return permissions === 'read-all';
  return Object.values(permissions).every((level) => level === 'read' || level === 'none');
}

function grantsContentsWrite(permissions: Mapping | string | undefined): boolean {
  return permissions === 'write-all' || (typeof permissions === 'object' && permissions.contents === 'write');
}

function versionPinnedIn(script: string): string {
  const match = /VERSION="\$\{ACTIONLINT_VERSION:-(v\d+\.\d+\.\d+)\}"/.exec(script);
  if (match?.[1] === undefined) throw new Error(`No pinned actionlint version found in ${INSTALL_SCRIPT}`);
  return match[1];
}

function run(file: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const shellcheckPresent = hasCommand('shellcheck');

describe('actionlint', () => {
  let actionlint = '';

  beforeAll(async () => {
    // Idempotent: returns at once when the pinned version is already in .cache/bin.
    const install = await run('bash', [INSTALL_SCRIPT], INSTALL_TIMEOUT_MS);
    if (install.code !== 0) {
      throw new Error(`scripts/install-actionlint.sh exited ${install.code}:\n${install.stderr}${install.stdout}`);
    }
    actionlint = install.stdout.trim().split('\n').at(-1) ?? '';
  }, INSTALL_TIMEOUT_MS + 10_000);

  it('is the version pinned in scripts/install-actionlint.sh', async () => {
    const { stdout } = await run(actionlint, ['-version'], LINT_TIMEOUT_MS);
    expect(stdout.split('\n')[0]).toBe(versionPinnedIn(readFileSync(INSTALL_SCRIPT, 'utf8')));
  });

  it(`reports nothing on any workflow (shellcheck on run: blocks ${shellcheckPresent ? 'included' : 'skipped: not installed'})`, async () => {
    // Without shellcheck on PATH actionlint skips that rule; saying so explicitly keeps the output clean.
    const args = ['-no-color', '-oneline', ...(shellcheckPresent ? [] : ['-shellcheck=']), ...workflowFiles.map((name) => join(WORKFLOWS_DIR, name))];
    const result = await run(actionlint, args, LINT_TIMEOUT_MS);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  }, LINT_TIMEOUT_MS);
});

describe('workflows', () => {
  it('include the PR gate, the release baselines and CI', () => {
    expect(workflowFiles).toEqual(expect.arrayContaining([PR_GATE, RELEASE_BASELINES, 'ci.yml']));
  });

  it.each(workflowFiles)('%s never runs on pull_request_target', (name) => {
    expect(eventNames(workflow(name).on)).not.toContain('pull_request_target');
    expect(readFileSync(join(WORKFLOWS_DIR, name), 'utf8')).not.toContain('pull_request_target');
  });

  it.each(workflowFiles)('%s sets read-only permissions at the top', (name) => {
    expect(isReadOnly(workflow(name).permissions)).toBe(true);
  });

  it.each(workflowFiles)('%s gives every job a timeout', (name) => {
    for (const [id, job] of Object.entries(workflow(name).jobs)) {
      expect(job['timeout-minutes'], `${name}: job ${id}`).toBeGreaterThan(0);
    }
  });

  it.each(workflowFiles)('%s passes expressions to run: scripts through env, never inline', (name) => {
    // `${{ }}` inside a script is pasted into the shell before it runs: the script-injection shape.
    for (const step of allSteps(workflow(name))) {
      if (step.run !== undefined) expect(step.run, `${name}: step ${step.name ?? step.id}`).not.toContain('${{');
    }
  });

  it('grant contents: write to the release baselines job alone', () => {
    const writers: string[] = [];
    for (const [name, wf] of workflows) {
      if (grantsContentsWrite(wf.permissions)) writers.push(`${name} (top level)`);
      for (const [id, job] of Object.entries(wf.jobs)) {
        if (grantsContentsWrite(job.permissions)) writers.push(`${name}#${id}`);
      }
    }
    expect(writers).toEqual([`${RELEASE_BASELINES}#record`]);
  });
});

describe('the PR gate', () => {
  const gate = workflow(PR_GATE);
  const bench = gate.jobs.bench;
  const comment = gate.jobs.comment;
  const benchSteps = bench?.steps ?? [];

  it('runs on pull_request with contents: read at the top', () => {
    expect(eventNames(gate.on)).toEqual(['pull_request']);
    expect(gate.permissions).toEqual({ contents: 'read' });
  });

  it('cancels the run a new push to the same PR makes obsolete', () => {
    expect(gate.concurrency).toMatchObject({ 'cancel-in-progress': true });
    expect(String((gate.concurrency as Mapping).group)).toContain('github.event.pull_request.number');
  });

  it('checks out the full history and sets up Node 20 with the npm cache, and Go from the fixture', () => {
    expect(benchSteps.find((step) => step.uses?.startsWith('actions/checkout@'))?.with).toMatchObject({ 'fetch-depth': 0 });
    expect(benchSteps.find((step) => step.uses?.startsWith('actions/setup-node@'))?.with).toMatchObject({ 'node-version': 20, cache: 'npm' });
    expect(benchSteps.find((step) => step.uses?.startsWith('actions/setup-go@'))?.with).toEqual({
      'go-version-file': 'fixtures/gobwas-echo/go.mod',
      'cache-dependency-path': 'fixtures/gobwas-echo/go.sum',
    });
    expect(benchSteps.some((step) => step.run?.startsWith('npm ci'))).toBe(true);
  });

  it('benches against the merge-base and logs the kernel limits', () => {
    const scripts = benchSteps.map((step) => step.run ?? '').join('\n');
    expect(scripts).toContain('git merge-base "origin/${BASE_REF}" HEAD');
    expect(scripts).toContain('scripts/system_tune.sh check');
    expect(scripts).toMatch(/wsbench bench --profile quick --baseline "\$BASELINE_REF"/);
    expect(scripts).toContain('--md results/summary.md --html results/report.html');
  });

  it('uploads the results and writes the summary even when the bench fails', () => {
    const upload = benchSteps.find((step) => step.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.if).toBe('always()');
    expect(upload?.with?.path).toBe('results/');
    const summary = benchSteps.find((step) => step.run?.includes('$GITHUB_STEP_SUMMARY'));
    expect(summary?.if).toBe('always()');
  });

  it('fails on exit 1 as a regression and on exit 3 as infrastructure, not a regression', () => {
    const gateScript = benchSteps.at(-1)?.run ?? '';
    expect(gateScript).toMatch(/1\)\s*\n\s*echo "::error title=wsbench: performance regression::/);
    expect(gateScript).toMatch(/3\)\s*\n\s*echo "::error title=wsbench: infrastructure failure \(not a regression\)::/);
  });

  it('comments with pull-requests: write only, from the artifact, for same-repository PRs', () => {
    expect(comment?.permissions).toEqual({ 'pull-requests': 'write' });
    expect(comment?.needs).toBe('bench');
    expect(comment?.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    const steps = comment?.steps ?? [];
    expect(steps.some((step) => step.uses?.startsWith('actions/checkout@'))).toBe(false);
    expect(steps.some((step) => step.uses?.startsWith('actions/download-artifact@'))).toBe(true);
  });

  it('keeps one sticky comment, found by its hidden marker', () => {
    const script = String((comment?.steps ?? []).find((step) => step.uses?.startsWith('actions/github-script@'))?.with?.script);
    expect(script).toContain(STICKY_MARKER);
    expect(script).toContain('updateComment');
    expect(script).toContain('createComment');
  });
});

describe('the release baselines workflow', () => {
  const release = workflow(RELEASE_BASELINES);
  const record = release.jobs.record;
  const scripts = (record?.steps ?? []).map((step) => step.run ?? '').join('\n');

  it('runs on v* tags and by hand, one at a time, never cancelled', () => {
    expect(release.on).toMatchObject({ push: { tags: ['v*'] } });
    expect(eventNames(release.on)).toContain('workflow_dispatch');
    expect(release.concurrency).toEqual({ group: 'baselines', 'cancel-in-progress': false });
  });

  it('records the full profile under the tag', () => {
    expect(record?.env).toMatchObject({ TAG: '${{ github.ref_name }}' });
    expect(scripts).toContain('wsbench baseline record --profile full --tag "$TAG"');
  });

  it('pushes with a bounded pull --rebase retry loop', () => {
    expect(scripts).toMatch(/for attempt in 1 2 3 4 5; do[\s\S]*git pull --rebase[\s\S]*git push[\s\S]*done/);
  });
});

describe('the CI workflow', () => {
  it('runs .ci/run', () => {
    expect(allSteps(workflow('ci.yml')).some((step) => step.run === 'bash .ci/run')).toBe(true);
  });
});

describe('action.yml', () => {
  const action = readYaml(join(ROOT, 'action.yml')) as {
    inputs: Record<string, Mapping>;
    outputs: Record<string, { value: string }>;
    runs: { using: string; steps: Step[] };
  };
  const steps = action.runs.steps;
  const stepsText = JSON.stringify(steps);

  it('is a composite action', () => {
    expect(action.runs.using).toBe('composite');
  });

  it('declares the documented inputs and outputs', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(['baseline-ref', 'config', 'node-version', 'profile', 'scenario', 'working-directory']);
    expect(Object.keys(action.outputs)).toEqual(expect.arrayContaining(['verdict', 'summary-path', 'report-path']));
  });

  it.each(['baseline-ref', 'config', 'node-version', 'profile', 'scenario', 'working-directory'])('uses the input %s', (input) => {
    expect(stepsText).toContain(`inputs.${input} }}`);
  });

  it('sets every output from a step that writes it', () => {
    for (const [name, output] of Object.entries(action.outputs)) {
      const match = /^\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}$/.exec(output.value);
      expect(match, `output ${name}: ${output.value}`).not.toBeNull();
      const [, stepId = '', key = ''] = match ?? [];
      const step = steps.find((candidate) => candidate.id === stepId);
      expect(step?.run, `output ${name}: step ${stepId}`).toContain(`echo "${key}=`);
    }
  });

  it('installs wsbench from its own path and gives every script a shell, without inline expressions', () => {
    expect(steps.find((step) => step.name === 'Install wsbench')).toMatchObject({ 'working-directory': '${{ github.action_path }}' });
    for (const step of steps.filter((candidate) => candidate.run !== undefined)) {
      expect(step.shell, `step ${step.name}`).toBe('bash');
      expect(step.run, `step ${step.name}`).not.toContain('${{');
    }
  });

  it.skipIf(!shellcheckPresent)('passes shellcheck in every run: script', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsbench-action-'));
    try {
      steps.forEach((step, index) => {
        if (step.run === undefined) return;
        const file = join(dir, `step-${index}.sh`);
        writeFileSync(file, `#!/usr/bin/env bash\n${step.run}`);
        const result = spawnSync('shellcheck', ['--format=gcc', file], { encoding: 'utf8' });
        expect(result.stdout + result.stderr, `step ${step.name}`).toBe('');
        expect(result.status).toBe(0);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
