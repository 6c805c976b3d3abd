// The MQTT receiver's module, loaded lazily by the registry (`type: mqtt`): the factory the driver calls, and
// the pieces tests and status need.
import type { ReceiverModule } from '../../types.js';
import type { MqttReceiverConfig } from './config.js';
import { MqttReceiver } from './receiver.js';

export { MqttReceiver, mqttClientId, type MqttReceiverOptions } from './receiver.js';
export { MqttReceiverError, type MqttReceiverErrorKind } from './events.js';
export type { MqttReceiverConfig } from './config.js';

/** Creates receiver `id` of gateway `gatewayId` (client id `sluice-<gatewayId>-<id>`); idle until connect(). */
export const createReceiver = ((id, config, host, gatewayId) =>
  new MqttReceiver(
    id,
    config,
    host,
    gatewayId,
  )) satisfies ReceiverModule<MqttReceiverConfig>['createReceiver'];
