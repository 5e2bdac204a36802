import { EXIT_INFRASTRUCTURE, InfrastructureError, WsbenchError } from '../errors.js';
import { UsageError } from '../errors.js';
import { TOOL_VERSION } from '../tool-info.js';
import { didYouMean } from '../did-you-mean.js';
import { processOutput } from './output.js';
import type { CommandOutput } from './output.js';

const USAGE = `wsbench ${TOOL_VERSION} — how much a WebSocket server can carry, where it breaks, and whether a change made it slower

Usage: wsbench <command> [options]      (wsbench <command> --help for its options)

  run        one scenario against a target (default: the gobwas/ws fixture)
  bench      the scenario matrix, each scenario judged against its baseline (npm run bench)
  compare    A/B comparison of two targets (git refs or knob variants), with a verdict
  ramp       connections from N by step until a limit: capacity and the bottleneck, named
  limit      at N connections, the highest sustainable message rate
  baseline   record baselines at this commit (release tags) or show them
  report     HTML and Markdown from a result JSON (run, ramp or compare)
  merge      one result from the shards of a scenario (run --shard I/K), histograms merged exactly
  k8s        k8s render: Kubernetes manifests for a scenario sharded over K generator pods

Exit codes: 0 done and within gates · 1 a gate failed · 2 usage or config error ·
            3 infrastructure failure (target, workers, saturated generator) · 130 interrupted
`;

type Command = (args: string[], output: CommandOutput) => Promise<number>;

// Loaded on demand: `--help` and a typo answer in a fraction of the time importing every command takes.
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run-command.js')).runCommand,
  bench: async () => (await import('./commands/bench-command.js')).benchCommand,
  compare: async () => (await import('./commands/compare-command.js')).compareCommand,
  ramp: async () => (await import('./commands/ramp-command.js')).rampCommand,
  limit: async () => (await import('./commands/limit-command.js')).limitCommand,
  baseline: async () => (await import('./commands/baseline-command.js')).baselineCommand,
  report: async () => (await import('./commands/report-command.js')).reportCommand,
  merge: async () => (await import('./commands/merge-command.js')).mergeCommand,
  k8s: async () => (await import('./commands/k8s-command.js')).k8sCommand,
};

/** The CLI: pick the command, run it, print any error once, return the exit code. */
export async function main(argv: string[], output: CommandOutput = processOutput): Promise<number> {
  const [name, ...args] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      output.stdout(USAGE);
      return 0;
    }
    if (name === '--version' || name === '-v') {
      output.stdout(`${TOOL_VERSION}\n`);
      return 0;
    }
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (load === undefined) {
      throw new UsageError('UNKNOWN_COMMAND', `Unknown command ${JSON.stringify(name)}.${didYouMean(name, Object.keys(COMMANDS))} Commands: ${Object.keys(COMMANDS).join(', ')}. See wsbench --help`);
    }
    const command = await load();
    return await command(args, output);
  } catch (error) {
    return reportError(error, output);
  }
}

function reportError(error: unknown, output: CommandOutput): number {
  if (error instanceof WsbenchError) {
    output.stderr(`${error.printedMessage}\n`);
    if (error instanceof InfrastructureError && error.logTail.length > 0) {
      output.stderr(`  last lines of output:\n${error.logTail.map((line) => `  | ${line}`).join('\n')}\n`);
    }
    return error.exitCode;
  }
  output.stderr(`wsbench: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT_INFRASTRUCTURE;
}
