import { stringify } from 'yaml';
import { UsageError } from '../../errors.js';
import { planLoad, readMachineLimits } from '../../plan/preflight.js';
import { resolveRunOptions } from '../../scenario/run-options.js';
import { DEFAULT_K8S_NAME, DEFAULT_RENDEZVOUS_PORT, K8S_NAME, renderK8sManifests } from '../../shard/k8s-manifests.js';
import { TOOL_VERSION } from '../../tool-info.js';
import { parsePositiveInteger } from '../../units.js';
import { choiceFlag, durationFlag, integerFlag, stringFlag, valueFlag, withDefault } from '../flags/flag.js';
import { formatFlagHelp, readFlags } from '../flags/flag-table.js';
import { HELP_FLAG, LOAD_FLAGS, loadOverrides } from '../flags/shared-flags.js';
import type { CommandOutput } from '../output.js';

const K8S_FLAGS = {
  shards: integerFlag('shards', 'K', 'generator pods (shards), each with connections/K of the scenario'),
  url: stringFlag('url', 'URL', 'the server under test, as the pods reach it'),
  ...LOAD_FLAGS,
  image: withDefault(stringFlag('image', 'IMG', 'a container image with wsbench as its entry point'), `wsbench:${TOOL_VERSION}`),
  name: withDefault(stringFlag('name', 'NAME', 'name of the Job, Service and ConfigMap'), DEFAULT_K8S_NAME),
  namespace: stringFlag('namespace', 'NS', "namespace to put them in (default: kubectl's)"),
  'anti-affinity': withDefault(choiceFlag('antiAffinity', ['required', 'preferred', 'none'] as const, 'one shard per node: required, or preferred'), 'preferred'),
  'rendezvous-port': withDefault(valueFlag('rendezvousPort', 'P', 'port shard 0 listens on for the others', parsePort), DEFAULT_RENDEZVOUS_PORT),
  'barrier-timeout': durationFlag('barrierTimeoutMs', 'D', 'how long shards wait for each other at the start (default 180s)'),
  ...HELP_FLAG,
};

export const K8S_USAGE = `Usage: wsbench k8s render --shards K --url ws://H:P/PATH [run's load flags] [options]

Prints the Kubernetes manifests of one scenario sharded over K generator pods (docs/kubernetes.md):
a ConfigMap with the scenario's flags, a headless Service for the start rendezvous, and an Indexed
Job (completionMode: Indexed, parallelism K) whose pod I runs wsbench run --shards K and prints its
result JSON to its log. Gather the logs and merge them with wsbench merge.

${formatFlagHelp(K8S_FLAGS)}
`;

function parsePort(raw: string, option: string): number {
  const port = parsePositiveInteger(raw, option);
  if (port > 65_535) throw new UsageError('INVALID_RENDEZVOUS_PORT', `Expected ${option} to be a TCP port (1–65535); got ${port}`);
  return port;
}

/** Time for pods to be scheduled, pull the image and open their connections, beyond the load itself. */
const DEADLINE_MARGIN_S = 900;

export async function k8sCommand(args: string[], output: CommandOutput): Promise<number> {
  const { options, positionals, raw } = readFlags('k8s', args, K8S_FLAGS, { positionals: 1 });
  if (options.help === true) {
    output.stdout(K8S_USAGE);
    return 0;
  }
  if (positionals[0] !== 'render') throw new UsageError('UNKNOWN_K8S_ACTION', `Expected \`wsbench k8s render\`; got ${positionals[0] === undefined ? 'nothing' : JSON.stringify(positionals[0])}. See wsbench k8s --help`);
  const { shards, url, name, antiAffinity, rendezvousPort } = options;
  if (shards === undefined) throw new UsageError('MISSING_SHARDS', 'needs --shards K: how many generator pods share the scenario', { command: 'k8s render' });
  if (url === undefined || !/^wss?:\/\/[^/]+/.test(url)) {
    throw new UsageError('INVALID_URL', `needs --url ws://HOST:PORT/PATH, the server under test as the pods reach it (e.g. ws://my-server.default.svc:8080/); got ${url === undefined ? 'nothing' : JSON.stringify(url)}`, { command: 'k8s render' });
  }
  if (!K8S_NAME.test(name)) throw new UsageError('INVALID_NAME', `Expected --name to be a Kubernetes name (lowercase letters, digits and '-', starting with a letter, at most 52 characters); got ${JSON.stringify(name)}`);
  const barrierTimeoutMs = options.barrierTimeoutMs ?? 180_000;

  // The same checks as wsbench run, here, before anything reaches a cluster.
  const scenario = resolveRunOptions({ ...loadOverrides(options), url });
  if (scenario.connections < shards) throw new UsageError('TOO_FEW_CONNECTIONS', `--connections ${scenario.connections} cannot be split over ${shards} shards: every shard needs at least one`);
  const perShard = Math.ceil(scenario.connections / shards);
  const plan = planLoad({ connections: perShard, targetIsFixture: false, sourceAddresses: 'kernel', ...(scenario.workers === undefined ? {} : { workersRequested: scenario.workers }) }, { ...readMachineLimits(), nofileSoft: 1_048_576, nofileHard: 1_048_576, portRangeLow: 1024, portRangeHigh: 65_535 });

  const scenarioFlags: Record<string, string | string[] | boolean> = {};
  // Passed to the pods as typed: each pod's wsbench run parses and checks them again.
  for (const flag of Object.keys(LOAD_FLAGS) as (keyof typeof LOAD_FLAGS)[]) {
    const value = raw[flag];
    if (value !== undefined) scenarioFlags[flag] = value as string | string[] | boolean;
  }
  const manifests = renderK8sManifests({
    name,
    namespace: options.namespace,
    shards,
    image: options.image,
    url,
    scenarioFlags,
    totalConnections: scenario.connections,
    workersPerShard: Math.max(1, plan.workers.length),
    antiAffinity,
    rendezvousPort,
    barrierTimeout: raw['barrier-timeout'] === undefined ? undefined : String(raw['barrier-timeout']),
    activeDeadlineSeconds: Math.ceil((scenario.durationMs + barrierTimeoutMs) / 1000) + DEADLINE_MARGIN_S,
  });
  output.stdout(manifests.map((manifest) => stringify(manifest, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n'));
  return 0;
}
