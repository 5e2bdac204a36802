import path from 'node:path';
import { UsageError } from '../errors.js';
import { PACKAGE_ROOT } from '../tool-info.js';
import { GOBWAS_FIXTURE_DIR, buildGobwasFixture } from './fixture-build.js';
import { pathInCheckout } from './git-checkout.js';
import { bytesKnob, countKnob, enumKnob } from './target-definition.js';
import type { KnobDefinition, TargetDefinition } from './target-definition.js';
import { NAMESPACE_KNOBS } from './target-namespace-plan.js';

/** The fixtures' ready line (fixtures/*\/README.md): printed once, when every process listens. */
const FIXTURE_READY_LINE = /^wsbench-fixture ready /;

// The fixtures' own bounds (fixtures/*/README.md): checked here too, so a bad value fails before the target starts.
const MAX_INJECT_US = 10_000_000;
const MAX_INJECT_ALLOC_BYTES = 64 * 1024 * 1024;
/** Enough processes for any load one machine can offer; a larger number is a typo. */
export const MAX_TARGET_PROCS = 64;

const sharedKnobs: Record<string, KnobDefinition> = {
  write: enumKnob('--write', ['single', 'batch'], 'one write per echoed frame, or queued frames coalesced into one write'),
  'max-frame': bytesKnob('--max-frame', 'largest frame accepted; bigger ones are refused with close code 1009'),
  // Each process holds up to ~19.8K connections, so 64 carry over a million; more only competes for the cores.
  procs: countKnob('--procs', 'server processes sharing the port (SO_REUSEPORT for gobwas, node:cluster for node)', { max: MAX_TARGET_PROCS }),
  'handshake-timeout-ms': countKnob('--handshake-timeout-ms', 'drop a connection whose upgrade is not done this many ms after accept (default 5000)', {
    max: 600_000,
  }),
  mode: enumKnob('--mode', ['echo', 'broadcast'], 'echo each message to its sender, or write it to every other open connection'),
  'inject-delay-us': countKnob('--inject-delay-us', 'synthetic CPU work per message, in microseconds', { allowZero: true, max: MAX_INJECT_US }),
  'inject-alloc-bytes': bytesKnob('--inject-alloc-bytes', 'heap garbage allocated and written per message (Go: one object of N bytes)', {
    max: MAX_INJECT_ALLOC_BYTES,
  }),
  'inject-lock-us': countKnob(
    '--inject-lock-us',
    'a process-wide lock held (sleeping, no CPU) this many microseconds per message, so echoes queue behind each other',
    { allowZero: true, max: MAX_INJECT_US },
  ),
  // somaxconn, syn-backlog, tw-reuse, fin-timeout-s, nofile: the target then runs in a network namespace of its own.
  ...NAMESPACE_KNOBS,
};

const procsOf = (knobs: Record<string, string>): number => Number(knobs.procs ?? 1);

/** Both fixtures refuse this pair (exit 2): each process would broadcast to its own connections only. */
function checkSharedKnobs(knobs: Record<string, string>): void {
  if (knobs.mode === 'broadcast' && procsOf(knobs) > 1) {
    throw new UsageError(
      'INVALID_KNOB_VALUE',
      `Knob mode=broadcast needs one server process, got procs=${knobs.procs}: each process would reach only its own connections; drop procs or set procs=1`,
    );
  }
}

/** The server the seed is about: a Go echo server on github.com/gobwas/ws with the seed's knobs. */
export const gobwasTarget: TargetDefinition = {
  name: 'gobwas',
  description: 'Go echo server on github.com/gobwas/ws (fixtures/gobwas-echo), built on first use',
  prepare: buildGobwasFixture,
  command: 'gobwas-echo',
  args: ['--host', '{host}', '--port', '{port}', '--metrics-addr', '{metricsAddr}', '--exit-with-parent'],
  knobs: {
    model: enumKnob('--model', ['goroutine', 'epoll'], 'a goroutine per connection, or an epoll event loop'),
    'read-buffer': bytesKnob('--read-buffer', 'bufio.Reader size per connection (0 = none)'),
    ...sharedKnobs,
  },
  wsPath: '/',
  readyLine: FIXTURE_READY_LINE,
  servesMetrics: true,
  processCount: procsOf,
  checkKnobs: checkSharedKnobs,
  atRevision: (checkout) => {
    const sourceDir = pathInCheckout(checkout, GOBWAS_FIXTURE_DIR, 'The gobwas fixture');
    return { ...gobwasTarget, description: `${gobwasTarget.description}, at ${checkout.ref}`, prepare: () => buildGobwasFixture(sourceDir) };
  },
};

const NODE_FIXTURE_ENTRY = path.join(PACKAGE_ROOT, 'fixtures', 'node-echo', 'server.js');

/** The same echo behaviour on Node's `ws`, for comparison and for machines without Go. */
export const nodeTarget: TargetDefinition = {
  name: 'node',
  description: 'Node.js echo server on ws (fixtures/node-echo)',
  command: process.execPath,
  args: [NODE_FIXTURE_ENTRY, '--host', '{host}', '--port', '{port}', '--metrics-addr', '{metricsAddr}', '--exit-with-parent'],
  knobs: sharedKnobs,
  wsPath: '/',
  readyLine: FIXTURE_READY_LINE,
  servesMetrics: true,
  processCount: procsOf,
  checkKnobs: checkSharedKnobs,
  atRevision: (checkout) => ({
    ...nodeTarget,
    description: `${nodeTarget.description}, at ${checkout.ref}`,
    args: nodeTarget.args.map((arg) => (arg === NODE_FIXTURE_ENTRY ? pathInCheckout(checkout, NODE_FIXTURE_ENTRY, 'The node fixture') : arg)),
  }),
};

export const BUILTIN_TARGETS: Record<string, TargetDefinition> = { gobwas: gobwasTarget, node: nodeTarget };
