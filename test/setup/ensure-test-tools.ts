/**
 * vitest globalSetup of the e2e project: before any end-to-end test, makes sure Chromium and Prometheus are
 * there (installing them with apt when it can), so `npm ci && npm test` passes on a fresh Debian machine and
 * fails with the fix when it cannot — never a silent skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { TEST_TOOLS, planTestTools } from './test-tools.js';

function succeeds(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

export default function setup(): void {
  const missing = TEST_TOOLS.filter((tool) => !existsSync(tool.path));
  const plan = planTestTools({
    missing,
    isRoot: process.getuid?.() === 0,
    hasSudo: missing.length > 0 && succeeds('sudo', ['-n', 'true']),
    hasAptGet: missing.length > 0 && succeeds('sh', ['-c', 'command -v apt-get']),
  });
  if (plan.action === 'none') return;
  if (plan.action === 'fail') throw new Error(plan.message);
  process.stderr.write(`e2e set-up: installing ${plan.packages.join(', ')} with apt-get (the end-to-end tests need them)\n`);
  for (const command of plan.commands) {
    execFileSync(command[0]!, command.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  const still = missing.filter((tool) => !existsSync(tool.path));
  if (still.length > 0) throw new Error(`apt-get installed ${plan.packages.join(', ')}, but ${still.map((tool) => tool.path).join(', ')} is still missing`);
}
