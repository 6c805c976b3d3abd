// The MQTT sink's entry point: the factory the daemon loads lazily through the registry.
import type { SinkHost, SinkModule } from '../../types.js';
import type { MqttSinkConfig } from './config.js';
import { MqttSink } from './sink.js';

export { MqttSink, topicFor } from './sink.js';

export function createSink(id: string, config: MqttSinkConfig, host: SinkHost): MqttSink {
  return new MqttSink(id, config, host);
}

export const module: SinkModule<MqttSinkConfig> = { createSink };
