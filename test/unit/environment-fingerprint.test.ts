import { describe, expect, it } from 'vitest';
import { describeEnvironment, fingerprintEnvironment, type EnvironmentSource } from '../../src/metrics/environment.js';

const machine: EnvironmentSource = { nodeVersion: '20.20.2', platform: 'linux', release: '6.18.44-fc-v973', cpuModel: 'Intel(R) Xeon(R) Processor', cores: 2, onlineCores: 2, memBytes: 25_324_732_416 };

describe('the environment fingerprint', () => {
  it('is the same for a process pinned to one core (taskset) as for the unpinned recorder', () => {
    expect(fingerprintEnvironment({ ...machine, cores: 1 }, '0.1.0')).toBe(fingerprintEnvironment(machine, '0.1.0'));
  });

  it('ignores memory, Node patch releases and the VM image suffix of the kernel', () => {
    const same = fingerprintEnvironment(machine, '0.1.0');
    expect(fingerprintEnvironment({ ...machine, memBytes: 8e9, nodeVersion: '20.20.9', release: '6.18.51-fc-v980' }, '0.1.0')).toBe(same);
  });

  it('changes with the CPU model, the machine\'s cores, the kernel or Node minor, and the tool version', () => {
    const same = fingerprintEnvironment(machine, '0.1.0');
    for (const other of [{ ...machine, cpuModel: 'AMD EPYC 7B13' }, { ...machine, onlineCores: 4, cores: 4 }, { ...machine, release: '6.19.1' }, { ...machine, nodeVersion: '20.21.0' }]) {
      expect(fingerprintEnvironment(other, '0.1.0')).not.toBe(same);
    }
    expect(fingerprintEnvironment(machine, '0.2.0')).not.toBe(same);
  });

  it('records what it hashes, so a mismatch can be named', () => {
    expect(describeEnvironment('0.1.0', machine).fingerprintBasis).toEqual({ cpuModel: 'Intel(R) Xeon(R) Processor', cores: 2, kernel: '6.18', node: '20.20', tool: '0.1.0' });
  });
});
