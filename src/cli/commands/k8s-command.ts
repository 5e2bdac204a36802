import { stringify } from 'yaml';
import { UsageError } from '../../errors.js';
import { planLoad, readMachineLimits } from '../../plan/preflight.js';
import { resolveRunOptions } from '../../scenario/run-options.js';
import { DEFAULT_K8S_NAME, DEFAULT_RENDEZVOUS_PORT, K8S_NAME, renderK8sManifests } from '../../shard/k8s-manifests.js';
import { TOOL_VERSION } from '../../tool-info.js';
import { parseDurationMs, parsePositiveInteger } from '../../units.js';
import { LOAD_FLAGS, LOAD_FLAGS_USAGE, parseLoadFlags } from '../load-flags.js';
import type { CommandOutput } from '../output.js';
import { parseFlags } from '../parse-flags.js';

export const K8S_USAGE = `Usage: wsbench k8s render --shards K --url ws://H:P/PATH [run's load flags] [options]

Prints the Kubernetes manifests of one scenario sharded over K generator pods (docs/kubernetes.md):
a ConfigMap with the scenario's flags, a headless Service for the start rendezvous, and an Indexed
Job (completionMode: Indexed, parallelism K) whose pod I runs wsbench run --shards K and prints its
result JSON to its log. Gather the logs and merge them with wsbench merge.

  --shards K           generator pods (shards), each with connections/K of the scenario
  --url URL            the server under test, as the pods reach it
${LOAD_FLAGS_USAGE}
  --image IMG          a container image with wsbench as its entry point (default wsbench:${TOOL_VERSION})
  --name NAME          name of the Job, Service and ConfigMap (default ${DEFAULT_K8S_NAME})
  --namespace NS       namespace to put them in (default: kubectl's)
  --anti-affinity required|preferred|none  one shard per node: required, or preferred (default)
  --rendezvous-port P  port shard 0 listens on for the others (default ${DEFAULT_RENDEZVOUS_PORT})
  --barrier-timeout D  how long shards wait for each other at the start (default 180s)
`;

const K8S_FLAGS = {
  shards: { type: 'string' },
  url: { type: 'string' },
  ...LOAD_FLAGS,
  image: { type: 'string' },
  name: { type: 'string' },
  namespace: { type: 'string' },
  'anti-affinity': { type: 'string' },
  'rendezvous-port': { type: 'string' },
  'barrier-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Time for pods to be scheduled, pull the image and open their connections, beyond the load itself. */
const DEADLINE_MARGIN_S = 900;

export async function k8sCommand(args: string[], output: CommandOutput): Promise<number> {
  const { values, positionals } = parseFlags('k8s', args, K8S_FLAGS, { positionals: 1 });
  if (values.help === true) {
    output.stdout(K8S_USAGE);
    return 0;
  }
  if (positionals[0] !== 'render') throw new UsageError('UNKNOWN_K8S_ACTION', `Expected \`wsbench k8s render\`; got ${positionals[0] === undefined ? 'nothing' : JSON.stringify(positionals[0])}. See wsbench k8s --help`);
  if (values.shards === undefined) throw new UsageError('MISSING_SHARDS', 'wsbench k8s render needs --shards K: how many generator pods share the scenario');
  const shards = parsePositiveInteger(values.shards, '--shards');
  if (values.url === undefined || !/^wss?:\/\/[^/]+/.test(values.url)) {
    throw new UsageError('INVALID_URL', `wsbench k8s render needs --url ws://HOST:PORT/PATH, the server under test as the pods reach it (e.g. ws://my-server.default.svc:8080/); got ${values.url === undefined ? 'nothing' : JSON.stringify(values.url)}`);
  }
  const name = values.name ?? DEFAULT_K8S_NAME;
  if (!K8S_NAME.test(name)) throw new UsageError('INVALID_NAME', `Expected --name to be a Kubernetes name (lowercase letters, digits and '-', starting with a letter, at most 52 characters); got ${JSON.stringify(name)}`);
  const antiAffinity = values['anti-affinity'] ?? 'preferred';
  if (antiAffinity !== 'required' && antiAffinity !== 'preferred' && antiAffinity !== 'none') {
    throw new UsageError('INVALID_ANTI_AFFINITY', `Expected --anti-affinity to be required, preferred or none; got ${JSON.stringify(antiAffinity)}`);
  }
  const rendezvousPort = values['rendezvous-port'] === undefined ? DEFAULT_RENDEZVOUS_PORT : parsePositiveInteger(values['rendezvous-port'], '--rendezvous-port');
  if (rendezvousPort > 65_535) throw new UsageError('INVALID_RENDEZVOUS_PORT', `Expected --rendezvous-port to be a TCP port (1–65535); got ${rendezvousPort}`);
  const barrierTimeoutMs = values['barrier-timeout'] === undefined ? 180_000 : parseDurationMs(values['barrier-timeout'], '--barrier-timeout');

  // The same checks as wsbench run, here, before anything reaches a cluster.
  const scenario = resolveRunOptions({ ...parseLoadFlags(values), url: values.url });
  if (scenario.connections < shards) throw new UsageError('TOO_FEW_CONNECTIONS', `--connections ${scenario.connections} cannot be split over ${shards} shards: every shard needs at least one`);
  const perShard = Math.ceil(scenario.connections / shards);
  const plan = planLoad({ connections: perShard, targetIsFixture: false, sourceAddresses: 'kernel', ...(scenario.workers === undefined ? {} : { workersRequested: scenario.workers }) }, { ...readMachineLimits(), nofileSoft: 1_048_576, nofileHard: 1_048_576, portRangeLow: 1024, portRangeHigh: 65_535 });

  const scenarioFlags: Record<string, string | string[] | boolean> = {};
  for (const flag of Object.keys(LOAD_FLAGS) as (keyof typeof LOAD_FLAGS)[]) {
    const value = values[flag];
    if (value !== undefined) scenarioFlags[flag] = value as string | string[] | boolean;
  }
  const manifests = renderK8sManifests({
    name,
    ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
    shards,
    image: values.image ?? `wsbench:${TOOL_VERSION}`,
    url: values.url,
    scenarioFlags,
    totalConnections: scenario.connections,
    workersPerShard: Math.max(1, plan.workers.length),
    antiAffinity,
    rendezvousPort,
    ...(values['barrier-timeout'] === undefined ? {} : { barrierTimeout: values['barrier-timeout'] }),
    activeDeadlineSeconds: Math.ceil((scenario.durationMs + barrierTimeoutMs) / 1000) + DEADLINE_MARGIN_S,
  });
  output.stdout(manifests.map((manifest) => stringify(manifest, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n'));
  return 0;
}
