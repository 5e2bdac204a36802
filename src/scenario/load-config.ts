import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { parseDocument } from 'yaml';
import { ConfigError, InfrastructureError } from '../errors.js';
import { bytesKnob, countKnob, enumKnob } from '../targets/target-definition.js';
import { pathInCheckout } from '../targets/git-checkout.js';
import type { KnobDefinition, TargetDefinition } from '../targets/target-definition.js';
import { parseConfig } from './config-schema.js';
import type { KnobConfig, ResolvedConfig, TargetConfig } from './config-schema.js';
import { defaultConfig } from './default-config.js';

/** Looked for in this order in the working directory; two of them at once is an error. */
export const CONFIG_FILE_NAMES = ['wsbench.config.ts', 'wsbench.config.mts', 'wsbench.config.js', 'wsbench.config.mjs', 'wsbench.yaml', 'wsbench.yml'] as const;
const MODULE_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
const DATA_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
/** A user target's build command may download dependencies on a cold machine. */
export const TARGET_BUILD_TIMEOUT_MS = 10 * 60_000;
const BUILD_LOG_TAIL_LINES = 30;

export interface LoadConfigOptions {
  /** Where to look for a config file, and what relative paths in it are relative to when it is absent. @default process.cwd() */
  cwd?: string;
  /** `--config FILE`: must exist. */
  file?: string;
}

export interface LoadedConfig {
  config: ResolvedConfig;
  /** The config's targets as definitions; the built-ins are not repeated here (resolve with `resolveTargetDefinition`). */
  targets: Record<string, TargetDefinition>;
  /** The file read, or `undefined` for the built-in default config. */
  file: string | undefined;
}

/** Finds, reads and checks the config; without a file, the built-in default (the seed's plan). */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const file = options.file === undefined ? findConfigFile(cwd) : path.resolve(cwd, options.file);
  if (file === undefined) return { config: parseConfig(defaultConfig, 'the built-in default config'), targets: {}, file: undefined };
  if (!existsSync(file)) {
    throw new ConfigError('CONFIG_NOT_FOUND', `Config file ${file} (from --config) does not exist; pass an existing wsbench.config.ts or wsbench.yaml, or omit --config to use ${CONFIG_FILE_NAMES.join(', ')} in ${cwd}`);
  }
  const label = path.relative(cwd, file) || file;
  const input = await readConfigInput(file, label);
  const config = parseConfig(input, label);
  return { config, targets: toTargetDefinitions(config.targets, path.dirname(file)), file };
}

export function findConfigFile(cwd: string): string | undefined {
  const found = CONFIG_FILE_NAMES.map((name) => path.join(cwd, name)).filter((file) => existsSync(file));
  if (found.length > 1) {
    throw new ConfigError('CONFIG_AMBIGUOUS', `${found.map((f) => path.basename(f)).join(' and ')} are both in ${cwd}; keep one, or choose with --config`);
  }
  return found[0];
}

async function readConfigInput(file: string, label: string): Promise<unknown> {
  const extension = path.extname(file).toLowerCase();
  if (MODULE_EXTENSIONS.has(extension)) return importConfig(file, label);
  if (DATA_EXTENSIONS.has(extension)) return parseYaml(readFileSync(file, 'utf8'), label);
  throw new ConfigError('CONFIG_UNSUPPORTED', `Cannot read ${label}: expected a .ts, .mts, .js or .mjs module or a .yaml, .yml or .json file`);
}

/** YAML (JSON is YAML too); syntax errors are reported all at once, each with its line and column. */
export function parseYaml(text: string, label: string): unknown {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    const problems = document.errors.map((error) => {
      const at = error.linePos?.[0];
      const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return `${at === undefined ? '' : `line ${at.line}, column ${at.col}: `}${message}`;
    });
    throw new ConfigError('CONFIG_SYNTAX', `${label} is not valid YAML (fix these lines):`, problems);
  }
  return document.toJS() ?? {};
}

/** Loads a TypeScript (or JavaScript) config with tsx, so Node 20 needs no flag; its default export is the config. */
async function importConfig(file: string, label: string): Promise<unknown> {
  let module: Record<string, unknown>;
  try {
    const { tsImport } = await import('tsx/esm/api');
    module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message.split('\n').slice(0, 5).join('\n') : String(cause);
    const code = (cause as { code?: unknown } | null)?.code;
    // A .ts file outside a `"type": "module"` package is compiled to CommonJS, which cannot require ESM-only packages.
    const hint = code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || code === 'ERR_REQUIRE_ESM' ? ' (a CommonJS config cannot load ESM-only packages: rename it to .mts or set "type": "module" in its package.json)' : '';
    throw new ConfigError('CONFIG_IMPORT_FAILED', `Cannot load ${label}: ${message}${hint}`, [], { cause });
  }
  const exported = module.default ?? module.config;
  if (exported === undefined) {
    throw new ConfigError('CONFIG_NO_EXPORT', `${label} has no default export; end it with \`export default defineConfig({ ... })\``);
  }
  return typeof exported === 'function' ? await (exported as () => unknown)() : exported;
}

/** Turns the config's targets into definitions; relative `cwd`s are relative to the config file's folder. */
export function toTargetDefinitions(targets: Record<string, TargetConfig>, baseDir: string): Record<string, TargetDefinition> {
  return Object.fromEntries(Object.entries(targets).map(([name, target]) => [name, toTargetDefinition(name, target, baseDir)]));
}

function toTargetDefinition(name: string, target: TargetConfig, baseDir: string): TargetDefinition {
  const cwd = path.resolve(baseDir, target.start.cwd ?? '.');
  const build = target.build;
  let built: Promise<string> | undefined;
  return {
    name,
    description: target.description ?? `${name} (from the config)`,
    ...(build === undefined
      ? {}
      : { prepare: () => (built ??= runBuild(name, build, path.resolve(baseDir, build.cwd ?? '.')).then(() => target.start.command)) }),
    command: target.start.command,
    args: target.start.args,
    cwd,
    ...(target.start.env === undefined ? {} : { env: target.start.env }),
    knobs: Object.fromEntries(Object.entries(target.knobs).map(([knob, definition]) => [knob, toKnobDefinition(definition)])),
    wsPath: target.wsPath,
    ...(target.readyLine === undefined ? {} : { readyLine: new RegExp(target.readyLine) }),
    servesMetrics: target.metrics,
    // The config's folder as it was at that commit: build and start run in the checkout.
    atRevision: (checkout) => toTargetDefinition(name, target, pathInCheckout(checkout, baseDir, `Target ${name}'s config`)),
  };
}

function toKnobDefinition(knob: KnobConfig): KnobDefinition {
  const description = knob.description ?? '';
  if (knob.values !== undefined) return enumKnob(knob.flag, knob.values, description);
  if (knob.type === 'bytes') return bytesKnob(knob.flag, description);
  if (knob.type === 'count') return countKnob(knob.flag, description, { allowZero: true });
  return { flag: knob.flag, description, parse: (raw) => raw };
}

/** Runs a target's build command once; a failure carries the build's last lines. */
async function runBuild(name: string, build: NonNullable<TargetConfig['build']>, cwd: string): Promise<void> {
  const options = { cwd, reject: false, all: true, timeout: TARGET_BUILD_TIMEOUT_MS } as const;
  const result = Array.isArray(build.command)
    ? await execa(build.command[0]!, build.command.slice(1), options)
    : await execa(build.command, { ...options, shell: true });
  if (result.failed) {
    const shown = Array.isArray(build.command) ? build.command.join(' ') : build.command;
    const why = result.code === 'ENOENT' ? 'the command was not found' : result.timedOut ? `it ran past ${TARGET_BUILD_TIMEOUT_MS / 1000} s` : `exit code ${result.exitCode ?? 'none'}`;
    throw new InfrastructureError('TARGET_BUILD_FAILED', `Building target ${name} with \`${shown}\` in ${cwd} failed: ${why}`, {
      logTail: String(result.all ?? '').split('\n').slice(-BUILD_LOG_TAIL_LINES),
    });
  }
}
