import type { MachineLimits } from './preflight-limits.js';
import { ephemeralPorts, MAX_CONNECTIONS_PER_SOURCE_ADDRESS, RECOMMENDED_SOMAXCONN } from './load-plan.js';
import type { LoadPlan, LoadRequest } from './load-plan.js';

/** What a plan that fits this machine should still say: fd limits that forced more processes, the source addresses, a short accept queue. */
export function limitWarnings(request: LoadRequest, limits: MachineLimits, plan: LoadPlan, minWorkers: number): string[] {
  const warnings: string[] = [];
  const workers = plan.workers.length;
  if (minWorkers > 1) {
    let text =
      `fd limit ${limits.nofileSoft} per process: using ${workers} driver processes ` +
      `of at most ${plan.maxSocketsPerProcess} sockets each`;
    const targetProcs = request.targetProcs ?? 1;
    if (!request.targetIsFixture) {
      text += `; a target on this machine needs ≥ ${plan.recommendedTargetProcs} processes or a higher limit`;
    } else if (targetProcs < plan.recommendedTargetProcs) {
      text += `; the target needs --procs ≥ ${plan.recommendedTargetProcs} (has ${targetProcs}) or a higher limit`;
    }
    if (limits.nofileHard > limits.nofileSoft) {
      text += `; \`ulimit -n ${limits.nofileHard}\` in the shell that runs wsbench would raise it`;
    }
    warnings.push(text);
  }
  const neededAddresses = Math.ceil(plan.connections / plan.perAddressBudget);
  if (neededAddresses > 1 && (request.sourceAddresses ?? 'loopback') === 'loopback') {
    const first = plan.sourceAddresses[0];
    const last = plan.sourceAddresses.at(-1);
    warnings.push(
      `${plan.connections} connections need ${neededAddresses} source addresses (${ephemeralPorts(limits)} ports each, ` +
        `at most ${plan.perAddressBudget} used): using ${plan.sourceAddresses.length}, ${first}–${last} ` +
        `(at most ${MAX_CONNECTIONS_PER_SOURCE_ADDRESS} connections each: bind() slows as an address fills), none shared between driver processes`,
    );
  }
  if (limits.somaxconn < RECOMMENDED_SOMAXCONN && plan.connections > limits.somaxconn) {
    warnings.push(
      `net.core.somaxconn ${limits.somaxconn} caps the target's accept queue below ${RECOMMENDED_SOMAXCONN}: ` +
        `handshake bursts will wait for 1 s SYN retries; raise it with scripts/system_tune.sh apply`,
    );
  }
  return warnings;
}

export function gib(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(1);
}

/** An error when the driver's estimated memory exceeds the machine's, a warning when it exceeds what is free. */
export function checkMemory(plan: LoadPlan, limits: MachineLimits): void {
  const estimate = gib(plan.estimatedDriverMemoryBytes);
  if (plan.estimatedDriverMemoryBytes > limits.totalMemoryBytes) {
    plan.errors.push(
      `memory: the driver needs an estimated ${estimate} GiB for ${plan.connections} connections, more than the ` +
        `${gib(limits.totalMemoryBytes)} GiB this machine has; lower --connections or drive from several machines`,
    );
  } else if (plan.estimatedDriverMemoryBytes > limits.freeMemoryBytes) {
    plan.warnings.push(`memory: estimated ${estimate} GiB > available ${gib(limits.freeMemoryBytes)} GiB for the driver`);
  }
}
