import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/system_tune.sh', import.meta.url));
const TIMEOUT_MS = 10_000;

const SETTINGS = [
  'ulimit -n (soft)',
  'ulimit -n (hard)',
  'net.core.somaxconn',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_fin_timeout',
  'fs.file-max',
  'fs.nr_open',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_max_syn_backlog',
];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the script, optionally through a command prefix such as `setpriv …`; never rejects on exit codes. */
function run(args: string[], options: { env?: NodeJS.ProcessEnv; via?: string[]; script?: string } = {}): Promise<Outcome> {
  const [file = SCRIPT, ...prefix] = [...(options.via ?? []), options.script ?? SCRIPT];
  return new Promise((resolve, reject) => {
    execFile(file, [...prefix, ...args], { timeout: TIMEOUT_MS, env: { ...process.env, ...options.env } }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/**
 * The script copied where any user can run it: a checkout may sit under a directory only root can enter (a
 * `mktemp -d` clone is 0700), and the unprivileged user then gets exit 126 instead of the script's own refusal.
 */
function scriptAnyUserCanRun(temps: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsbench-tune-'));
  temps.push(dir);
  chmodSync(dir, 0o755);
  const copy = join(dir, 'system_tune.sh');
  copyFileSync(SCRIPT, copy);
  chmodSync(copy, 0o755);
  return copy;
}

/** A copy of the sysctls the script knows, in a temp dir, so `apply` can run without touching the kernel. */
function fakeProcSys(values: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'wsbench-proc-sys-'));
  for (const [name, value] of Object.entries(values)) {
    const path = join(root, ...name.split('.'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${value}\n`);
  }
  return root;
}

const DEFAULTS = {
  'net.core.somaxconn': '128',
  'net.ipv4.tcp_max_syn_backlog': '2048',
  'net.ipv4.tcp_tw_reuse': '2',
  'net.ipv4.tcp_fin_timeout': '60',
  'fs.file-max': '2466177',
  'fs.nr_open': '1048576',
  'net.ipv4.ip_local_port_range': '40000\t50000',
};

const isRoot = process.getuid?.() === 0;

describe('scripts/system_tune.sh', () => {
  const temps: string[] = [];
  afterEach(() => {
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('prints every setting with its current and recommended value when checking', async () => {
    const { code, stdout } = await run(['check']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^setting\s+current\s+recommended\s+status/);
    for (const setting of SETTINGS) expect(stdout).toContain(setting);
    for (const line of stdout.split('\n').slice(1, SETTINGS.length + 1)) {
      expect(line).toMatch(/ (ok|low|cannot-change-here|unknown)$/);
    }
  });

  it('checks by default when given no command', async () => {
    const { code, stdout } = await run([]);
    expect(code).toBe(0);
    expect(stdout).toContain('net.core.somaxconn');
  });

  it('marks the sysctls below their recommendation as low', async () => {
    const root = fakeProcSys(DEFAULTS);
    temps.push(root);
    const { code, stdout } = await run(['check'], { env: { WSBENCH_PROC_SYS: root } });
    expect(code).toBe(0);
    expect(stdout).toMatch(/net\.core\.somaxconn\s+128\s+>= 4096\s+low/);
    expect(stdout).toMatch(/net\.ipv4\.tcp_fin_timeout\s+60\s+<= 10\s+low/);
    expect(stdout).toMatch(/fs\.file-max\s+2466177\s+>= 1048576\s+ok/);
    expect(stdout).toMatch(/net\.ipv4\.ip_local_port_range\s+40000 50000\s+>= 28232 ports\s+low/);
  });

  it('prints usage and exits 0 for --help', async () => {
    for (const flag of ['--help', '-h']) {
      const { code, stdout } = await run([flag]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: system_tune\.sh/);
    }
  });

  it('rejects an unknown command with exit code 2', async () => {
    const { code, stderr } = await run(['tune-everything']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "tune-everything"');
  });

  it.runIf(isRoot)('refuses to apply without root and exits 2', async () => {
    const { code, stderr } = await run(['apply'], {
      via: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
      script: scriptAnyUserCanRun(temps),
    });
    expect(code).toBe(2);
    expect(stderr).toContain('must run as root');
  });

  it.runIf(isRoot)('applies the recommendations to a copy of /proc/sys and prints each change', async () => {
    const root = fakeProcSys(DEFAULTS);
    temps.push(root);
    const env = { WSBENCH_PROC_SYS: root };
    // Guard: the script must read the copy, or `apply` below would change this machine.
    expect((await run(['check'], { env })).stdout).toMatch(/net\.core\.somaxconn\s+128 /);

    const { code, stdout } = await run(['apply'], { env });
    expect(code).toBe(0);
    expect(stdout).toContain('net.core.somaxconn: 128 -> 4096');
    expect(stdout).toContain('net.ipv4.tcp_max_syn_backlog: 2048 -> 8192');
    expect(stdout).toContain('net.ipv4.tcp_tw_reuse: 2 -> 1');
    expect(stdout).toContain('net.ipv4.tcp_fin_timeout: 60 -> 10');
    expect(stdout).toContain('net.ipv4.ip_local_port_range: 40000 50000 -> 32768 60999');
    expect(stdout).not.toContain('fs.file-max:');
    expect(stdout).toContain('5 sysctl(s) changed, 0 failed.');
    expect(readFileSync(join(root, 'net', 'core', 'somaxconn'), 'utf8').trim()).toBe('4096');
  });

  it.runIf(isRoot)('reports a sysctl that does not exist as a failure with its path', async () => {
    const { 'fs.nr_open': _omitted, ...rest } = DEFAULTS;
    const root = fakeProcSys(rest);
    temps.push(root);
    const { code, stderr } = await run(['apply'], { env: { WSBENCH_PROC_SYS: root } });
    expect(code).toBe(1);
    expect(stderr).toContain(`fs.nr_open: not changed: ${root}/fs/nr_open does not exist here`);
  });
});
