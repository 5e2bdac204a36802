import { DEFAULT_MESSAGE_TIMEOUT_MS } from '../../driver/load-driver.js';
import { bytesFlag, choiceFlag, durationFlag, hidden, integerFlag, numberFlag, stringFlag, switchFlag } from './flag.js';
import { checkLoadLimits } from '../../scenario/load-limits.js';
import { pickFlags } from './flag-table.js';
import type { Flag } from './flag.js';
import { OUTPUT_FORMATS } from '../../report/output-formats.js';
import type { FlagOptions } from './flag-table.js';
import { PATTERN_FLAGS, TRAFFIC_FLAGS } from './traffic-flags.js';

/**
 * Flags several commands share, declared once. A command's table spreads the groups it takes and may
 * re-default one (`withDefault(MESSAGE_FLAGS.rate, 1)` for ramp); the keys are the library's option names,
 * so a command passes its parsed options on without renaming.
 */

/** `--target` or `--url`: what to load (checked together by resolveTargetFlags). */
export const TARGET_FLAGS = {
  target: stringFlag('target', 'SPEC', 'NAME[:KEY=VALUE,...], e.g. gobwas:model=epoll  (default: gobwas)'),
  url: stringFlag('url', 'URL', 'load a server that is already running instead'),
};

/**
 * What every load command shares besides how many connections for how long: the message, its rate and
 * timeout, the driver and the traffic shape. Ramp and limit take these (re-defaulted where theirs differ).
 */
export const MESSAGE_FLAGS = {
  rate: numberFlag('ratePerConnection', 'R', 'messages per second per connection'),
  size: bytesFlag('messageBytes', 'BYTES', 'message size, e.g. 256, 1KB, 4KiB'),
  timeout: durationFlag('messageTimeoutMs', 'D', `a message not echoed within this counts as timed out (default ${DEFAULT_MESSAGE_TIMEOUT_MS / 1000}s)`),
  workers: integerFlag('workers', 'N', 'driver processes (default: planned from connections and the fd limit)'),
  pacer: choiceFlag('pacer', ['precise', 'timer'] as const, "how the driver wakes for due sends: a helper thread (sub-ms send lag,\nthe default) or Node's 1 ms timers (less CPU per message)"),
  ...TRAFFIC_FLAGS,
};

/** The flags that shape the offered load: run, compare and k8s (as overrides of the scenario), patterns included. */
const { rate, size, ...AFTER_SIZE } = MESSAGE_FLAGS;
export const LOAD_FLAGS = {
  connections: integerFlag('connections', 'N', 'concurrent connections'),
  rate,
  size,
  duration: durationFlag('durationMs', 'D', 'total load time including warm-up, e.g. 10s'),
  warmup: durationFlag('warmupMs', 'D', 'leading part excluded from the statistics'),
  ...AFTER_SIZE,
  ...PATTERN_FLAGS,
};

type FormatFlags = { [F in (typeof OUTPUT_FORMATS)[number] as F['name']]: Flag<F['name'], string, false> };

/** `--html FILE`, `--md FILE`, …: one flag per rendered output format (report/output-formats.ts). */
export const FORMAT_FLAGS = Object.fromEntries(OUTPUT_FORMATS.map((format) => [format.name, stringFlag(format.name, 'FILE', format.help)])) as FormatFlags;

/** Where results and reports go. */
export const OUTPUT_FLAGS = {
  json: stringFlag('json', 'FILE', 'write the result JSON (written even when the command fails part way)'),
  ...FORMAT_FLAGS,
};

export const CONFIG_FLAG = { config: stringFlag('configFile', 'FILE', 'wsbench.config.ts or wsbench.yaml (default: found in the current folder, else the seed)') };

/** `--config` for the commands that measure one server in place: only its targets are used. */
export const TARGETS_CONFIG_FLAG = { config: stringFlag('configFile', 'FILE', 'wsbench.config.ts or wsbench.yaml whose targets --target may name\n(default: one in the working folder)') };

export const QUIET_FLAG = { quiet: switchFlag('quiet', 'no live progress') };

export const HELP_FLAG = { help: hidden(switchFlag('help', 'this text', { short: 'h' })) };

/** The load flags the user gave (only those), within the load limits: what overrides a scenario's load. */
export function loadOverrides(options: object): FlagOptions<typeof LOAD_FLAGS> {
  const overrides = pickFlags(LOAD_FLAGS, options);
  checkLoadLimits(overrides);
  return overrides;
}
