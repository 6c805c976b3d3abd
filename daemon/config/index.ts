// The config layer's public API: load and validate a config file, its types, and the building blocks connector
// schemas use (durations, sizes, secrets, ids, expressions).
export { checkConfigText, configError, formatPath, loadConfig } from './load.js';
export type { ConfigCheck, LoadOptions } from './load.js';
export {
  apiSchema,
  batchSchema,
  configSchema,
  gatewaySchema,
  pipelineSchema,
  receiverSchema,
  sinkSchema,
  stateSchema,
  windowSchema,
} from './schema.js';
export type {
  ApiConfig,
  Config,
  ConfigInput,
  PipelineConfig,
  ReceiverConfig,
  SinkConfig,
  WindowConfig,
} from './schema.js';
export { durationSchema, formatDuration, formatSize, parseDuration, parseSize, sizeSchema } from './units.js';
export { Secret, secretSchema } from './secret.js';
export { filterExpressionSchema, idSchema, keyExpressionSchema, ID_PATTERN } from './common-schemas.js';
export { configJsonSchema, schemaTargets, type SchemaTarget } from './json-schema.js';
export { expand, type SubstitutionOptions } from './substitute.js';
