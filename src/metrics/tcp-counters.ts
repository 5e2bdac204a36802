import { readFileSync } from 'node:fs';

/**
 * The kernel's TCP counters that explain a connection limit or lost messages: accept-queue overflows and
 * drops (somaxconn, a slow `accept`), retransmitted segments (loss) and resets sent. They are counted per
 * network namespace, so on a shared machine they include every process's traffic, not only this run's.
 */
export interface TcpCounters {
  listenOverflows: number;
  listenDrops: number;
  retransSegs: number;
  resets: number;
  /** Whose traffic they count: the machine's namespace (every process's), or a target's own namespace (this run's). */
  scope?: 'machine' | 'target-namespace';
}

export interface TcpCounterFiles {
  netstat: string;
  snmp: string;
}

const PROC_FILES = { netstat: '/proc/net/netstat', snmp: '/proc/net/snmp' };

/** The counters of the network namespace process `pid` is in (a target in a namespace of its own: this run's alone). */
export function tcpCounterFilesOf(pid: number): TcpCounterFiles {
  return { netstat: `/proc/${pid}/net/netstat`, snmp: `/proc/${pid}/net/snmp` };
}

/** Reads the counters now; null when /proc/net is not readable (not Linux, a sandbox). */
export function readTcpCounters(files: TcpCounterFiles = PROC_FILES): TcpCounters | null {
  try {
    return parseTcpCounters(readFileSync(files.netstat, 'utf8'), readFileSync(files.snmp, 'utf8'));
  } catch {
    return null;
  }
}

/** From the text of /proc/net/netstat and /proc/net/snmp (header line, then value line, per group). */
export function parseTcpCounters(netstat: string, snmp: string): TcpCounters | null {
  const ext = parseGroup(netstat, 'TcpExt');
  const tcp = parseGroup(snmp, 'Tcp');
  if (ext === undefined || tcp === undefined) return null;
  const listenOverflows = ext.get('ListenOverflows');
  const listenDrops = ext.get('ListenDrops');
  const retransSegs = tcp.get('RetransSegs');
  const resets = tcp.get('OutRsts');
  if (listenOverflows === undefined || listenDrops === undefined || retransSegs === undefined || resets === undefined) return null;
  return { listenOverflows, listenDrops, retransSegs, resets };
}

/** What happened between two readings; null when either is missing. */
export function diffTcpCounters(before: TcpCounters | null, after: TcpCounters | null): TcpCounters | null {
  if (before === null || after === null) return null;
  return {
    listenOverflows: Math.max(0, after.listenOverflows - before.listenOverflows),
    listenDrops: Math.max(0, after.listenDrops - before.listenDrops),
    retransSegs: Math.max(0, after.retransSegs - before.retransSegs),
    resets: Math.max(0, after.resets - before.resets),
  };
}

function parseGroup(text: string, group: string): Map<string, number> | undefined {
  const lines = text.split('\n').filter((line) => line.startsWith(`${group}:`));
  if (lines.length < 2) return undefined;
  const names = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1);
  const counters = new Map<string, number>();
  names.forEach((name, index) => {
    const value = Number(values[index]);
    if (name !== '' && Number.isFinite(value)) counters.set(name, value);
  });
  return counters;
}
