// The record every receiver's messages become, as it is stored in the write-ahead log and fed to pipelines; and
// the builder that decodes a receiver's raw message into one (or into the reason it cannot).
import type { RawMessage } from '../../connectors/types.js';
import { payloadDecoder, type PayloadFormat } from '../../hardware/codecs/payload.js';
import { evaluateKey, type CompiledKey } from '../../operators/expressions/index.js';
import { parseEventTime, type TimeFormat } from './event-time.js';

export interface IngestRecord {
  receiver: string;
  topic: string;
  /** When the message arrived, epoch ms (daemon clock). */
  arrivalMs: number;
  /** Event time, epoch ms: the payload's time field, or the arrival time. */
  eventMs: number;
  key: string;
  fields: Record<string, unknown>;
}

export interface RecordSpec {
  receiver: string;
  format: PayloadFormat;
  columns?: readonly string[];
  /** Compiled key expression; default: the topic. */
  key?: CompiledKey;
  /** Payload field with the event time; default: arrival time. */
  time?: string;
  timeFormat: TimeFormat;
}

export type BuildResult = { ok: true; record: IngestRecord } | { ok: false; reason: string };

export function recordBuilder(spec: RecordSpec): (message: RawMessage) => BuildResult {
  const decode = payloadDecoder(
    spec.columns === undefined ? { format: spec.format } : { format: spec.format, columns: spec.columns },
  );
  const { receiver, key, time, timeFormat } = spec;
  return (message) => {
    const decoded = decode(message.payload);
    if (!decoded.ok) return decoded;
    const fields = decoded.fields;
    let eventMs = message.arrivalMs;
    if (time !== undefined) {
      const parsed = parseEventTime(fields[time], timeFormat);
      if (parsed === undefined) {
        return {
          ok: false,
          reason: `time field "${time}" is ${fields[time] === undefined ? 'missing' : `not a time (${timeFormat})`}`,
        };
      }
      eventMs = parsed;
    }
    let recordKey = message.topic;
    if (key !== undefined) {
      const result = evaluateKey(key, {
        fields,
        topic: message.topic,
        topicParts: message.topic.split('/'),
        receiver,
        ts: eventMs,
      });
      if (!result.ok) return { ok: false, reason: `key expression: ${result.message}` };
      recordKey = result.key;
    }
    return {
      ok: true,
      record: {
        receiver,
        topic: message.topic,
        arrivalMs: message.arrivalMs,
        eventMs,
        key: recordKey,
        fields,
      },
    };
  };
}
