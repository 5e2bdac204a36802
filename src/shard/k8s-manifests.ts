import { estimateDriverMemoryBytes } from '../plan/preflight.js';

/**
 * The Kubernetes objects of one sharded run (pure: options in, objects out; `wsbench k8s render` prints
 * them as YAML). An Indexed Job runs K pods at once, pod I running `wsbench run --shards K` (I comes from
 * JOB_COMPLETION_INDEX); the scenario's flags live in a ConfigMap, read into the pods' environment and
 * expanded into their arguments by Kubernetes; a headless Service gives shard 0 the stable name
 * `<name>-0.<name>` the others meet at (the rendezvous start barrier, no extra service to run).
 * Each pod prints its result JSON on stdout (`--json -`), so `kubectl logs` gathers them for `wsbench merge`.
 */
export interface K8sRenderOptions {
  name: string;
  namespace?: string;
  shards: number;
  image: string;
  url: string;
  /** The scenario's load flags as given (name without `--` → value; repeated flags as arrays, switches as true). */
  scenarioFlags: Record<string, string | string[] | boolean>;
  totalConnections: number;
  workersPerShard: number;
  /** `required`: at most one shard per node; `preferred`: spread when the scheduler can; `none`. */
  antiAffinity: 'required' | 'preferred' | 'none';
  rendezvousPort: number;
  barrierTimeout?: string;
  /** Longest the Job may run before Kubernetes stops it (every load is bounded). */
  activeDeadlineSeconds: number;
}

export const DEFAULT_K8S_NAME = 'wsbench';
export const DEFAULT_RENDEZVOUS_PORT = 7400;
/** Kubernetes names: DNS-1123 labels, and room for "-<index>" (pod hostnames) in 63 characters. */
export const K8S_NAME = /^[a-z]([-a-z0-9]{0,50}[a-z0-9])?$/;

const MIB = 1024 ** 2;
/** Above the planned driver memory: Node itself, kernel socket buffers charged to the pod. */
const MEMORY_HEADROOM_BYTES = 256 * MIB;

type Manifest = Record<string, unknown>;

export function renderK8sManifests(options: K8sRenderOptions): Manifest[] {
  const labels = { 'app.kubernetes.io/name': 'wsbench', 'app.kubernetes.io/instance': options.name };
  const metadata = (name: string): Manifest => ({ name, ...(options.namespace === undefined ? {} : { namespace: options.namespace }), labels });
  const configName = `${options.name}-scenario`;
  const env = scenarioEnv(options);
  const args = [
    'run',
    ...env.flatMap(({ flag, key }) => (key === undefined ? [`--${flag}`] : [`--${flag}`, `$(${key})`])),
    '--shards',
    String(options.shards),
    '--rendezvous',
    `${options.name}-0.${options.name}:${options.rendezvousPort}`,
    ...(options.barrierTimeout === undefined ? [] : ['--barrier-timeout', options.barrierTimeout]),
    '--json',
    '-',
    '--quiet',
  ];
  const perShard = Math.ceil(options.totalConnections / options.shards);
  const memoryMiB = Math.ceil((estimateDriverMemoryBytes(perShard, options.workersPerShard) + MEMORY_HEADROOM_BYTES) / MIB);
  const podSelector = { matchLabels: labels };
  const affinityTerm = { labelSelector: podSelector, topologyKey: 'kubernetes.io/hostname' };
  const affinity =
    options.antiAffinity === 'none'
      ? undefined
      : options.antiAffinity === 'required'
        ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [affinityTerm] } }
        : { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: affinityTerm }] } };

  const configMap: Manifest = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(configName),
    data: Object.fromEntries(env.flatMap(({ key, value }) => (key === undefined ? [] : [[key, value]]))),
  };
  const service: Manifest = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(options.name),
    spec: {
      clusterIP: 'None',
      // Shard 0 must be resolvable before it is "ready": the others connect while it opens its connections.
      publishNotReadyAddresses: true,
      selector: labels,
      ports: [{ name: 'rendezvous', port: options.rendezvousPort, targetPort: options.rendezvousPort, protocol: 'TCP' }],
    },
  };
  const job: Manifest = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: metadata(options.name),
    spec: {
      completionMode: 'Indexed',
      completions: options.shards,
      parallelism: options.shards,
      // A shard restarted after the others started cannot join their window: fail it, and the merge names it.
      backoffLimit: 0,
      activeDeadlineSeconds: options.activeDeadlineSeconds,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          subdomain: options.name,
          ...(affinity === undefined ? {} : { affinity }),
          containers: [
            {
              name: 'shard',
              image: options.image,
              args,
              envFrom: [{ configMapRef: { name: configName } }],
              ports: [{ name: 'rendezvous', containerPort: options.rendezvousPort, protocol: 'TCP' }],
              resources: { requests: { cpu: '1', memory: `${memoryMiB}Mi` }, limits: { memory: `${memoryMiB * 2}Mi` } },
            },
          ],
        },
      },
    },
  };
  return [configMap, service, job];
}

/** Each scenario flag as a ConfigMap key (WSBENCH_CONNECTIONS, WSBENCH_HEADER_1, …); switches need no key. */
function scenarioEnv(options: K8sRenderOptions): { flag: string; key?: string; value: string }[] {
  const entries: { flag: string; key?: string; value: string }[] = [{ flag: 'url', key: 'WSBENCH_URL', value: options.url }];
  for (const [flag, value] of Object.entries(options.scenarioFlags)) {
    const key = `WSBENCH_${flag.toUpperCase().replace(/-/g, '_')}`;
    if (value === true) entries.push({ flag, value: '' });
    else if (Array.isArray(value)) value.forEach((item, index) => entries.push({ flag, key: `${key}_${index}`, value: item }));
    else if (typeof value === 'string') entries.push({ flag, key, value });
  }
  return entries;
}
