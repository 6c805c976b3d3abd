// The file sink's entry point: the factory the daemon loads lazily through the registry.
import type { SinkHost, SinkModule } from '../../types.js';
import type { FileSinkConfig } from './config.js';
import { FileSink } from './sink.js';

export function createSink(id: string, config: FileSinkConfig, host: SinkHost): FileSink {
  return new FileSink(id, config, host);
}

export const module: SinkModule<FileSinkConfig> = { createSink };
