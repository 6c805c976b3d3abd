// The Kafka sink's entry point: the factory the daemon loads lazily through the registry (so kafkajs is loaded
// only by a gateway that has a Kafka sink).
import type { SinkHost, SinkModule } from '../../types.js';
import type { KafkaSinkConfig } from './config.js';
import { KafkaSink } from './sink.js';

export function createSink(id: string, config: KafkaSinkConfig, host: SinkHost): KafkaSink {
  return new KafkaSink(id, config, host);
}

export const module: SinkModule<KafkaSinkConfig> = { createSink };
