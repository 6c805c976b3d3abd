// The simulated-sensor receiver's module, loaded lazily by the registry (`type: simulator`).
import type { ReceiverModule } from '../../types.js';
import type { SimulatorReceiverConfig } from './config.js';
import { SimulatorReceiver } from './receiver.js';

export const createReceiver = ((id, config, host) =>
  new SimulatorReceiver(
    id,
    config,
    host,
  )) satisfies ReceiverModule<SimulatorReceiverConfig>['createReceiver'];
