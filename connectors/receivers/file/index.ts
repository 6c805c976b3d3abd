// The file receiver's module, loaded lazily by the registry (`type: file`).
import type { ReceiverModule } from '../../types.js';
import type { FileReceiverConfig } from './config.js';
import { FileReceiver } from './receiver.js';

export { FileReceiver, type FileProgress } from './receiver.js';
export type { FileReceiverConfig } from './config.js';

export const createReceiver = ((id, config, host) =>
  new FileReceiver(id, config, host)) satisfies ReceiverModule<FileReceiverConfig>['createReceiver'];
