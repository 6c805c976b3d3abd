// A message that could not become a record, kept with its reason so an operator can see what the sensor sent.
import type { RawMessage } from '../../connectors/types.js';

export interface DeadLetter {
  receiver: string;
  topic: string;
  arrivalMs: number;
  reason: string;
  /** The payload as text when it is printable UTF-8, else as hex; at most MAX_PAYLOAD bytes of it. */
  payload: string;
  encoding: 'utf8' | 'hex';
  /** The payload's full length in bytes. */
  bytes: number;
}

const MAX_PAYLOAD = 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function deadLetter(receiver: string, message: RawMessage, reason: string): DeadLetter {
  const head = message.payload.subarray(0, MAX_PAYLOAD);
  let text: string | undefined;
  try {
    text = utf8.decode(head);
    // eslint-disable-next-line no-control-regex -- control characters are exactly what we look for
    if (/[\u0000-\u0008\u000e-\u001f]/.test(text)) text = undefined;
  } catch {
    text = undefined;
  }
  return {
    receiver,
    topic: message.topic,
    arrivalMs: message.arrivalMs,
    reason,
    payload: text ?? head.toString('hex'),
    encoding: text === undefined ? 'hex' : 'utf8',
    bytes: message.payload.length,
  };
}
