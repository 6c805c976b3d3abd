// The webhook sink's entry point: the factory the daemon loads lazily through the registry.
import type { SinkHost, SinkModule } from '../../types.js';
import type { WebhookSinkConfig } from './config.js';
import { WebhookSink } from './sink.js';

export function createSink(id: string, config: WebhookSinkConfig, host: SinkHost): WebhookSink {
  return new WebhookSink(id, config, host);
}

export const module: SinkModule<WebhookSinkConfig> = { createSink };
