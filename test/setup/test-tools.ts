/**
 * What the end-to-end tests need from the machine besides Node and Go, and the decision of how to get it.
 * `npm test` on a fresh Debian machine must pass, so a missing tool is installed (apt, as root) or the run
 * fails at once saying how to install it — never skipped in silence. Pure: the facts come in as arguments.
 */

export interface TestTool {
  /** What the tests call it. */
  name: string;
  /** Where the tests look for it (an env var may point elsewhere). */
  path: string;
  /** The Debian package that provides it. */
  aptPackage: string;
  /** Which tests need it, for the message. */
  neededBy: string;
}

export const TEST_TOOLS: readonly TestTool[] = [
  { name: 'chromium', path: process.env.CHROMIUM ?? '/usr/bin/chromium', aptPackage: 'chromium', neededBy: 'test/e2e/html-report-chromium.test.ts (the HTML report must draw)' },
  { name: 'prometheus', path: '/usr/bin/prometheus', aptPackage: 'prometheus', neededBy: 'test/e2e/prometheus-scrape.test.ts (a real Prometheus scrapes wsbench)' },
];

export interface MachineFacts {
  /** Tools whose path does not exist. */
  missing: readonly TestTool[];
  isRoot: boolean;
  /** `sudo -n true` works (passwordless sudo). */
  hasSudo: boolean;
  hasAptGet: boolean;
}

export type InstallPlan =
  | { action: 'none' }
  | { action: 'install'; commands: string[][]; packages: string[] }
  | { action: 'fail'; message: string };

export function planTestTools(facts: MachineFacts): InstallPlan {
  if (facts.missing.length === 0) return { action: 'none' };
  const packages = [...new Set(facts.missing.map((tool) => tool.aptPackage))];
  const list = facts.missing.map((tool) => `  - ${tool.name} (${tool.path}), needed by ${tool.neededBy}`).join('\n');
  const manual = `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (!facts.hasAptGet) {
    return { action: 'fail', message: `The end-to-end tests need tools this machine lacks, and there is no apt-get to install them:\n${list}\nInstall them with your package manager (Debian/Ubuntu: ${manual}), or set CHROMIUM=/path/to/chromium.` };
  }
  if (!facts.isRoot && !facts.hasSudo) {
    return { action: 'fail', message: `The end-to-end tests need tools this machine lacks, and installing them needs root:\n${list}\nRun: ${manual}\n(then npm test again).` };
  }
  const prefix = facts.isRoot ? [] : ['sudo', '-n'];
  return {
    action: 'install',
    packages,
    commands: [
      [...prefix, 'apt-get', 'update', '-qq'],
      [...prefix, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages],
    ],
  };
}
