import type { WsbenchConfig } from './config-schema.js';

/**
 * Types a `wsbench.config.ts`: `export default defineConfig({ scenarios: [...] })`. Returns its argument;
 * the config is checked when loaded, with every problem listed.
 */
export function defineConfig(config: WsbenchConfig): WsbenchConfig {
  return config;
}
