import { describe, expect, it } from 'vitest';
import { TEST_TOOLS, planTestTools } from '../setup/test-tools.js';

const [chromium, prometheus] = TEST_TOOLS;

describe('planTestTools (the e2e set-up decision)', () => {
  it('does nothing when every tool is there', () => {
    expect(planTestTools({ missing: [], isRoot: false, hasSudo: false, hasAptGet: false })).toEqual({ action: 'none' });
  });

  it('as root with apt: updates the package lists first, then installs exactly the missing packages', () => {
    const plan = planTestTools({ missing: [chromium!, prometheus!], isRoot: true, hasSudo: false, hasAptGet: true });
    expect(plan).toEqual({
      action: 'install',
      packages: ['chromium', 'prometheus'],
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'chromium', 'prometheus'],
      ],
    });
  });

  it('without root but with passwordless sudo: the same through sudo -n', () => {
    const plan = planTestTools({ missing: [prometheus!], isRoot: false, hasSudo: true, hasAptGet: true });
    expect(plan.action === 'install' && plan.commands[0]).toEqual(['sudo', '-n', 'apt-get', 'update', '-qq']);
  });

  it('without root or sudo: fails, naming each tool, the test that needs it and the command to run', () => {
    const plan = planTestTools({ missing: [chromium!], isRoot: false, hasSudo: false, hasAptGet: true });
    expect(plan.action).toBe('fail');
    expect(plan.action === 'fail' && plan.message).toMatch(/chromium \(.*\), needed by test\/e2e\/html-report-chromium\.test\.ts[\s\S]*sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium/);
  });

  it('without apt-get: fails and says what to install', () => {
    const plan = planTestTools({ missing: [prometheus!], isRoot: true, hasSudo: false, hasAptGet: false });
    expect(plan.action === 'fail' && plan.message).toMatch(/no apt-get[\s\S]*prometheus/);
  });
});
