// The MQTT receiver's module, loaded lazily by the registry (`type: mqtt`): the factory the driver calls, and
// the pieces tests and status need.
import type { ReceiverHost, ReceiverModule } from '../../types.js';
import type { MqttReceiverConfig } from './config.js';
import { EmbeddedBrokerReceiver } from './embedded-receiver.js';
import { MqttReceiver } from './receiver.js';

export { MqttReceiver, mqttClientId, type MqttReceiverOptions } from './receiver.js';
export { MqttReceiverError, type MqttReceiverErrorKind } from './events.js';
export type { MqttReceiverConfig } from './config.js';
export { EmbeddedBrokerReceiver } from './embedded-receiver.js';

/** Creates receiver `id` of gateway `gatewayId` (client id `sluice-<gatewayId>-<id>`), or with `embedded` the
 * in-process broker; idle until connect(). */
export function createReceiver(
  id: string,
  config: MqttReceiverConfig & { embedded?: undefined },
  host: ReceiverHost,
  gatewayId: string,
): MqttReceiver;
export function createReceiver(
  id: string,
  config: MqttReceiverConfig,
  host: ReceiverHost,
  gatewayId: string,
): MqttReceiver | EmbeddedBrokerReceiver;
export function createReceiver(
  id: string,
  config: MqttReceiverConfig,
  host: ReceiverHost,
  gatewayId: string,
): MqttReceiver | EmbeddedBrokerReceiver {
  return config.embedded === undefined
    ? new MqttReceiver(id, config, host, gatewayId)
    : new EmbeddedBrokerReceiver(id, config, host);
}
createReceiver satisfies ReceiverModule<MqttReceiverConfig>['createReceiver'];
