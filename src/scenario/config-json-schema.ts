import { z } from 'zod';
import { configSchema } from './config-schema.js';

/** The committed schema editors read (`# yaml-language-server: $schema=./wsbench.schema.json`). */
export const CONFIG_JSON_SCHEMA_FILE = 'wsbench.schema.json';

/**
 * The JSON Schema of what users write (the input side: `"4KiB"` and `"10s"` are allowed), from the same
 * zod schema that checks configs at run time. Draft-07, the draft editors' YAML support knows best.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', target: 'draft-07', unrepresentable: 'any' }),
    title: 'wsbench config',
    description: 'wsbench.yaml or the default export of wsbench.config.ts: targets, scenarios, matrices and profiles',
  };
}

/** The file's text: two-space JSON and a final newline, so it diffs cleanly. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
