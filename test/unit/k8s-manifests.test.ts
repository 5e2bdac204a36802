import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'wsbench-k8s-'));
let python = '';

// Installed on first use (a venv from PyPI, once per pin in test/k8s/requirements.txt), so `npm ci && npm test`
// on a fresh clone needs no other step; .ci/run installs it up front. Validating itself needs no network.
const SETUP_TIMEOUT_MS = 180_000;

beforeAll(async () => {
  const setup = await execa('bash', [path.join(ROOT, 'scripts', 'setup-k8s-validator.sh')], { reject: false, timeout: SETUP_TIMEOUT_MS });
  if (setup.exitCode !== 0) throw new Error(`${setup.stderr}`);
  python = setup.stdout.trim();
}, SETUP_TIMEOUT_MS);

async function render(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['k8s', 'render', ...args], { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), interactive: false });
  return { code, stdout, stderr };
}

/** kubernetes-validate --strict against the schemas it ships (Kubernetes 1.37): no cluster, no network. */
async function validate(yamlText: string, name: string): Promise<{ exitCode: number | undefined; output: string }> {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, yamlText);
  const result = await execa(python, ['-m', 'kubernetes_validate', '--strict', file], { reject: false, all: true, timeout: 60_000 });
  return { exitCode: result.exitCode, output: String(result.all) };
}

const SCENARIO = ['--url', 'ws://echo.bench.svc:8080/', '--connections', '200000', '--rate', '0.05', '--duration', '75s', '--warmup', '5s', '--header', 'X-Run: k8s'];

describe('wsbench k8s render', () => {
  it('renders a ConfigMap, a headless Service and an Indexed Job that pass the Kubernetes schema validator', async () => {
    const rendered = await render(['--shards', '4', ...SCENARIO, '--image', 'registry.example/wsbench:1', '--anti-affinity', 'required', '--name', 'ws-200k', '--namespace', 'bench']);
    expect(rendered.stderr).toBe('');
    expect(rendered.code).toBe(0);
    const validation = await validate(rendered.stdout, 'rendered');
    expect(validation.output).toMatch(/passed for resource configmap\/ws-200k-scenario/);
    expect(validation.output).toMatch(/passed for resource service\/ws-200k/);
    expect(validation.output).toMatch(/passed for resource job\/ws-200k/);
    expect(validation.exitCode).toBe(0);

    const [configMap, service, job] = parseAllDocuments(rendered.stdout).map((document) => document.toJSON());
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4, backoffLimit: 0 });
    const pod = job.spec.template.spec;
    expect(pod.subdomain).toBe(service.metadata.name);
    expect(service.spec.clusterIP).toBe('None');
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    const args: string[] = pod.containers[0].args;
    expect(args.slice(0, 1)).toEqual(['run']);
    expect(args.join(' ')).toContain('--shards 4 --rendezvous ws-200k-0.ws-200k:7400 --json - --quiet');
    // Every $(VAR) in the arguments is a key of the scenario ConfigMap the pod reads its environment from.
    const references = args.flatMap((arg) => [...arg.matchAll(/\$\(([A-Z0-9_]+)\)/g)].map((match) => match[1]));
    expect(references.sort()).toEqual(Object.keys(configMap.data).sort());
    expect(configMap.data).toMatchObject({ WSBENCH_URL: 'ws://echo.bench.svc:8080/', WSBENCH_CONNECTIONS: '200000', WSBENCH_RATE: '0.05', WSBENCH_HEADER_0: 'X-Run: k8s' });
    expect(pod.containers[0].envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
    expect(job.metadata.namespace).toBe('bench');
  });

  it('the validator is real: a Job with a wrong type or an unknown field fails it', async () => {
    const rendered = await render(['--shards', '2', ...SCENARIO]);
    const wrongType = await validate(rendered.stdout.replace('parallelism: 2', 'parallelism: two'), 'wrong-type');
    expect(wrongType.exitCode).not.toBe(0);
    expect(wrongType.output).toMatch(/spec\.parallelism: 'two' is not of type 'integer'/);
    const unknownField = await validate(rendered.stdout.replace('completionMode: Indexed', 'completionMode: Indexed\n  completionModes: Indexed'), 'unknown-field');
    expect(unknownField.exitCode).not.toBe(0);
    expect(unknownField.output).toMatch(/completionModes/);
  });

  it('refuses bad input before printing anything, naming the flag', async () => {
    for (const [args, message] of [
      [[...SCENARIO], /needs --shards K/],
      [['--shards', '2', '--connections', '10'], /needs --url ws:\/\/HOST:PORT\/PATH/],
      [['--shards', '2', ...SCENARIO, '--name', 'Bad_Name'], /Expected --name to be a Kubernetes name/],
      [['--shards', '2', ...SCENARIO, '--anti-affinity', 'sometimes'], /Expected --anti-affinity to be required, preferred or none/],
      [['--shards', '3', '--url', 'ws://x:1/', '--connections', '2'], /cannot be split over 3 shards/],
      [['--shards', '2', ...SCENARIO, '--rate', 'fast'], /--rate/],
    ] as const) {
      const rendered = await render([...args]);
      expect(rendered.code).toBe(2);
      expect(rendered.stdout).toBe('');
      expect(rendered.stderr).toMatch(message);
    }
  });
});
