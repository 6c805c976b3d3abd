// The TCP receiver's module, loaded lazily by the registry (`type: tcp`).
import type { ReceiverModule } from '../../types.js';
import type { TcpReceiverConfig } from './config.js';
import { TcpReceiver } from './receiver.js';

export { TcpReceiver } from './receiver.js';
export type { TcpReceiverConfig } from './config.js';

export const createReceiver = ((id, config, host) =>
  new TcpReceiver(id, config, host)) satisfies ReceiverModule<TcpReceiverConfig>['createReceiver'];
