// One receiver's status in an in-process gateway, for tests that wait on its state, records and failures.
import type { Gateway, GatewayStatus } from '../../daemon/app.js';

export type ReceiverStatus = GatewayStatus['receivers'][string];

/** A function returning the named receiver's current status; it throws if the gateway has no such receiver. */
export function receiverStatus(gateway: Gateway, name: string): () => ReceiverStatus {
  return () => {
    const status = gateway.status().receivers[name];
    if (status === undefined) throw new Error(`no receiver status for ${name}`);
    return status;
  };
}
