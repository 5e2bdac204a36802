import { createHash } from 'node:crypto';
import os from 'node:os';

export interface EnvironmentInfo {
  node: string;
  os: string;
  kernel: string;
  cpuModel: string;
  cores: number;
  memBytes: number;
  /** Hash of what makes two runs comparable (CPU model, cores, kernel, Node, tool version). */
  fingerprint: string;
}

/** What the machine is; tests pass their own. */
export interface EnvironmentSource {
  /** `process.versions.node`, e.g. `20.20.2`. */
  nodeVersion: string;
  platform: string;
  /** `os.release()`, the kernel version on Linux. */
  release: string;
  cpuModel: string;
  cores: number;
  memBytes: number;
}

const FINGERPRINT_HEX_LENGTH = 12;

export function describeEnvironment(toolVersion: string, source: EnvironmentSource = readEnvironment()): EnvironmentInfo {
  return {
    node: source.nodeVersion,
    os: `${source.platform} ${source.release}`,
    kernel: source.release,
    cpuModel: source.cpuModel,
    cores: source.cores,
    memBytes: source.memBytes,
    fingerprint: fingerprintEnvironment(source, toolVersion),
  };
}

/**
 * Two runs are comparable when this matches: same CPU model and core count, kernel, Node major.minor
 * and wsbench version. Memory size and Node patch releases are left out on purpose.
 */
export function fingerprintEnvironment(source: EnvironmentSource, toolVersion: string): string {
  const nodeMajorMinor = source.nodeVersion.replace(/^v/, '').split('.').slice(0, 2).join('.');
  const key = [source.cpuModel, source.cores, source.release, nodeMajorMinor, toolVersion].join('|');
  return createHash('sha256').update(key).digest('hex').slice(0, FINGERPRINT_HEX_LENGTH);
}

export function readEnvironment(): EnvironmentSource {
  const cpus = os.cpus();
  return {
    nodeVersion: process.versions.node,
    platform: os.platform(),
    release: os.release(),
    cpuModel: cpus[0]?.model.trim().replace(/\s+/g, ' ') || 'unknown',
    // The cores this process may use (CPU affinity, cgroup cpusets), not the machine's total.
    cores: os.availableParallelism(),
    memBytes: os.totalmem(),
  };
}
