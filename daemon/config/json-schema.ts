// The JSON Schema of the config file, derived from the same zod schemas that validate it, for editors (the YAML
// language server) and `sluice schema`. It describes what a person writes (durations as "10s"), not the parsed
// result; checks across sections and CEL type checks exist only in `sluice validate`.
import { z } from 'zod';
import { configSchema } from './schema.js';

/** JSON Schema dialects `sluice schema` can print. draft-07 is the one every editor understands. */
export const schemaTargets = ['draft-07', 'draft-2020-12'] as const;
export type SchemaTarget = (typeof schemaTargets)[number];

/** The config's JSON Schema. Default target: draft-07. */
export function configJsonSchema(target: SchemaTarget = 'draft-07'): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target, unrepresentable: 'any' });
  return { ...schema, title: 'Sluice configuration' };
}
