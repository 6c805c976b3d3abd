// The serial receiver's module, loaded lazily by the registry (`type: serial`), so a gateway without serial
// devices never loads serialport's native binding.
import type { ReceiverModule } from '../../types.js';
import type { SerialReceiverConfig } from './config.js';
import { SerialReceiver } from './receiver.js';

export { SerialReceiver, SerialReceiverError, openError, type SerialReceiverErrorKind } from './receiver.js';
export { ModbusPoller, type ModbusBusDevice, type PollOutcome } from './modbus-poller.js';
export type { SerialReceiverConfig } from './config.js';

/** Creates receiver `id`; idle until connect(). */
export const createReceiver = ((id, config, host) =>
  new SerialReceiver(id, config, host)) satisfies ReceiverModule<SerialReceiverConfig>['createReceiver'];
