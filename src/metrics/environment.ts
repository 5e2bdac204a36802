import { createHash } from 'node:crypto';
import os from 'node:os';

export interface EnvironmentInfo {
  node: string;
  os: string;
  kernel: string;
  cpuModel: string;
  cores: number;
  memBytes: number;
  /** Hash of what makes two runs comparable (CPU model, online cores, kernel and Node major.minor, tool version). */
  fingerprint: string;
  /** What the fingerprint hashes, so a mismatch can be named field by field; absent in older results. */
  fingerprintBasis?: FingerprintBasis;
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
  /** The machine's online CPUs, whatever this process's affinity; absent = `cores`. */
  onlineCores?: number;
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
    fingerprintBasis: fingerprintBasis(source, toolVersion),
  };
}

/**
 * What makes two runs comparable: CPU model, the machine's online cores, kernel major.minor, Node
 * major.minor and the wsbench version. Left out on purpose: memory size, Node and kernel patch releases (a
 * VM image's kernel build suffix, e.g. `6.18.44-fc-v973`, changes with the image, not the machine class), and
 * the cores this process may use: a process pinned with taskset, or a job in a cgroup cpuset, must find the
 * baselines recorded unpinned on the same machine (the first fingerprint used `os.availableParallelism()`).
 */
export interface FingerprintBasis {
  cpuModel: string;
  cores: number;
  kernel: string;
  node: string;
  tool: string;
}

export function fingerprintBasis(source: EnvironmentSource, toolVersion: string): FingerprintBasis {
  const majorMinor = (version: string): string => version.replace(/^v/, '').split(/[.-]/).slice(0, 2).join('.');
  return { cpuModel: source.cpuModel, cores: source.onlineCores ?? source.cores, kernel: majorMinor(source.release), node: majorMinor(source.nodeVersion), tool: toolVersion };
}

export function fingerprintEnvironment(source: EnvironmentSource, toolVersion: string): string {
  const basis = fingerprintBasis(source, toolVersion);
  const key = ['v2', basis.cpuModel, basis.cores, basis.kernel, basis.node, basis.tool].join('|');
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
    onlineCores: cpus.length,
    memBytes: os.totalmem(),
  };
}
