import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { CONFIG_JSON_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from '../../src/scenario/config-json-schema.js';
import { PACKAGE_ROOT } from '../../src/tool-info.js';

describe('config JSON Schema', () => {
  it('is committed exactly as the zod schema generates it (regenerate with the command in the failure)', () => {
    const committed = readFileSync(path.join(PACKAGE_ROOT, CONFIG_JSON_SCHEMA_FILE), 'utf8');
    expect(
      committed,
      `${CONFIG_JSON_SCHEMA_FILE} is stale: npx tsx -e "import('./src/scenario/config-json-schema.ts').then((m) => process.stdout.write(m.configJsonSchemaText()))" > ${CONFIG_JSON_SCHEMA_FILE}`,
    ).toBe(configJsonSchemaText());
  });

  it('describes what users write: sizes and durations as numbers or text, no unknown keys', () => {
    const schema = configJsonSchema() as { properties: Record<string, { items?: { properties: Record<string, unknown>; additionalProperties: unknown } }> };
    const scenario = schema.properties.scenarios!.items!;
    expect(scenario.additionalProperties).toBe(false);
    expect(scenario.properties.size).toEqual({ type: ['number', 'string'] });
    expect(scenario.properties).toHaveProperty('rate');
    expect(scenario.properties).not.toHaveProperty('ratePerConnection');
  });

  it('is referenced by the example config for editors', () => {
    const example = readFileSync(path.join(PACKAGE_ROOT, 'wsbench.example.yaml'), 'utf8');
    expect(example.split('\n')[0]).toBe(`# yaml-language-server: $schema=./${CONFIG_JSON_SCHEMA_FILE}`);
  });
});
