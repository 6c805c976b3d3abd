// The Kafka receiver's module, loaded lazily by the registry (`type: kafka`), so a gateway without Kafka never
// loads kafkajs.
import type { ReceiverModule } from '../../types.js';
import type { KafkaReceiverConfig } from './config.js';
import { KafkaReceiver } from './receiver.js';

export { KafkaReceiver, kafkaGroupId } from './receiver.js';
export type { KafkaReceiverConfig } from './config.js';

/** Creates receiver `id` of gateway `gatewayId` (group `sluice-<gatewayId>-<id>` unless configured). */
export const createReceiver = ((id, config, host, gatewayId) =>
  new KafkaReceiver(
    id,
    config,
    host,
    gatewayId,
  )) satisfies ReceiverModule<KafkaReceiverConfig>['createReceiver'];
