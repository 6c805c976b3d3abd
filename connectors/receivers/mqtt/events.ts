// What the MQTT receiver tells the world: its log events (pino shape: structured fields, a short fixed message,
// the error under `err`, never a password) and the error it rejects connect() or reports disconnected() with.
import type { Logger } from '../../types.js';

/** Why an attempt failed or a connection ended; the supervisor may log it, status shows it. */
export type MqttReceiverErrorKind =
  /** The TCP/TLS connection or the CONNACK failed (refused, bad credentials, unreachable). */
  | 'connect'
  /** No CONNACK and SUBACK within the connect timeout. */
  | 'timeout'
  /** The broker refused a subscription (SUBACK reason code 0x80 or above). */
  | 'subscribe'
  /** The intake rejected a message (deliver() failed); the connection is dropped so the broker redelivers. */
  | 'deliver'
  /** An established connection ended: the broker went away, took the session over, or keepalive expired. */
  | 'lost'
  /** close() was called. */
  | 'closed';

export class MqttReceiverError extends Error {
  override readonly name = 'MqttReceiverError';

  constructor(
    readonly kind: MqttReceiverErrorKind,
    message: string,
    options?: { cause?: unknown; reasonCode?: number | undefined; topic?: string | undefined },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reasonCode = options?.reasonCode;
    this.topic = options?.topic;
  }

  /** The MQTT reason/return code when the broker gave one (CONNACK, SUBACK, DISCONNECT). */
  readonly reasonCode: number | undefined;
  /** The topic filter concerned (subscribe failures). */
  readonly topic: string | undefined;
}

/** Fields every event of one receiver carries. */
export interface ReceiverFields {
  receiver: string;
  clientId: string;
  url: string;
}

/** The receiver's log events, one function each so their fields stay consistent. */
export function receiverEvents(log: Logger, fields: ReceiverFields) {
  return {
    connecting(protocolVersion: number): void {
      log.debug({ ...fields, protocolVersion }, 'mqtt connecting');
    },
    connected(sessionPresent: boolean, subscribed: boolean): void {
      log.info({ ...fields, sessionPresent, subscribed }, 'mqtt connected');
    },
    sessionLost(topics: readonly string[]): void {
      log.warn(
        { ...fields, topics },
        'mqtt broker lost the session: subscribing again; messages queued in the old session are gone',
      );
    },
    qosDowngraded(topic: string, requestedQos: number, grantedQos: number): void {
      log.warn(
        { ...fields, topic, requestedQos, grantedQos },
        'mqtt broker granted a lower QoS than requested',
      );
    },
    deliverFailed(err: unknown, topic: string): void {
      log.error(
        { ...fields, topic, err },
        'mqtt intake refused a message: dropping the connection, unacknowledged',
      );
    },
    connectionLost(err: Error): void {
      log.warn({ ...fields, err }, 'mqtt connection lost');
    },
    closed(pendingDeliveries: number): void {
      log.info({ ...fields, pendingDeliveries }, 'mqtt receiver closed');
    },
  };
}

export type ReceiverEvents = ReturnType<typeof receiverEvents>;
