// The registry's `type: mqtt` entry loads this module, and it has the shape the driver relies on.
import { expect, it } from 'vitest';
import type { MqttReceiverConfig } from '../../../../connectors/receivers/mqtt/config.js';
import { findReceiver } from '../../../../connectors/registry.js';
import type { ReceiverModule } from '../../../../connectors/types.js';

it('is what the registry loads for type: mqtt, a ReceiverModule', async () => {
  const entry = findReceiver('mqtt');
  if (entry === undefined) throw new Error('no mqtt entry in the registry');
  const module = (await entry.load()) as ReceiverModule<MqttReceiverConfig>;
  expect(typeof module.createReceiver).toBe('function');
});
