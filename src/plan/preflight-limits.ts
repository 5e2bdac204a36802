import { readFileSync } from 'node:fs';
import os from 'node:os';

import { InfrastructureError } from '../errors.js';

/** The facts of this machine that bound how many connections one run can open. */
export interface MachineLimits {
  /** Open-files soft limit of this process; child processes inherit it. */
  nofileSoft: number;
  /** Open-files hard limit; `Infinity` when unlimited. */
  nofileHard: number;
  /** `net.ipv4.ip_local_port_range`, both ends inclusive. */
  portRangeLow: number;
  portRangeHigh: number;
  /** `net.core.somaxconn`: the cap on every listen backlog. */
  somaxconn: number;
  totalMemoryBytes: number;
  /** What the kernel could give without swapping (MemAvailable). */
  freeMemoryBytes: number;
  cores: number;
}

/** Reads a file's text; injected so tests can give other machines' files. */
export type ReadText = (path: string) => string;

const readText: ReadText = (path) => readFileSync(path, 'utf8');

/**
 * Reads this machine's limits. Node has no `getrlimit`, so the open-files limits come from
 * `/proc/self/limits`; the rest from `/proc/sys` and `os`. Linux only: elsewhere it throws.
 */
export function readMachineLimits(read: ReadText = readText): MachineLimits {
  const { soft, hard } = parseOpenFilesLimit(readProc(read, '/proc/self/limits'));
  const { low, high } = parsePortRange(readProc(read, '/proc/sys/net/ipv4/ip_local_port_range'));
  const somaxconn = parseInteger(readProc(read, '/proc/sys/net/core/somaxconn'), 'net.core.somaxconn');
  return {
    nofileSoft: soft,
    nofileHard: hard,
    portRangeLow: low,
    portRangeHigh: high,
    somaxconn,
    totalMemoryBytes: os.totalmem(),
    freeMemoryBytes: os.freemem(),
    cores: os.availableParallelism(),
  };
}

/** Parses the "Max open files" line of a `/proc/<pid>/limits` file. */
export function parseOpenFilesLimit(limitsText: string): { soft: number; hard: number } {
  const line = limitsText.split('\n').find((l) => l.startsWith('Max open files'));
  const match = line?.match(/^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/);
  if (!match?.[1] || !match[2]) {
    throw new InfrastructureError(
      'MACHINE_LIMITS_UNREADABLE',
      `Expected a "Max open files" line in /proc/self/limits, got ${JSON.stringify(line ?? limitsText.slice(0, 80))}`,
    );
  }
  return { soft: parseLimit(match[1]), hard: parseLimit(match[2]) };
}

/** Parses `net.ipv4.ip_local_port_range` ("32768\t60999"). */
export function parsePortRange(text: string): { low: number; high: number } {
  const [low, high] = text.trim().split(/\s+/).map(Number);
  if (low === undefined || high === undefined || !Number.isInteger(low) || !Number.isInteger(high) || high < low) {
    throw new InfrastructureError(
      'MACHINE_LIMITS_UNREADABLE',
      `Expected net.ipv4.ip_local_port_range to be two port numbers "LOW HIGH", got ${JSON.stringify(text)}`,
    );
  }
  return { low, high };
}

function parseLimit(value: string): number {
  return value === 'unlimited' ? Number.POSITIVE_INFINITY : Number(value);
}

function parseInteger(text: string, name: string): number {
  const value = Number(text.trim());
  if (!Number.isInteger(value)) {
    throw new InfrastructureError('MACHINE_LIMITS_UNREADABLE', `Expected ${name} to be an integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

function readProc(read: ReadText, path: string): string {
  try {
    return read(path);
  } catch (cause) {
    throw new InfrastructureError(
      'MACHINE_LIMITS_UNREADABLE',
      `Cannot read ${path} to plan the load: wsbench needs Linux /proc to size processes and source addresses`,
      { cause },
    );
  }
}
