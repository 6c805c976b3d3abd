// The record every receiver's messages become, as it is stored in the write-ahead log and fed to pipelines; and
// the builder that decodes a receiver's raw message into one (or into the reason it cannot).
import type { RawMessage } from '../../connectors/types.js';
import { payloadDecoder, type DecodeResult, type PayloadFormat } from '../../hardware/codecs/payload.js';
import { createStreamDecoder, type StreamFormat } from '../../hardware/codecs/stream-decoder.js';
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
  /** modbus: the payload is the JSON a Modbus poller made of one poll. */
  format: PayloadFormat | StreamFormat | 'modbus';
  columns?: readonly string[];
  /** csv: the first line of the stream names the columns (it and its repeats give no record). Default: false. */
  header?: boolean;
  /** Compiled key expression; default: the topic. */
  key?: CompiledKey;
  /** Payload field with the event time; default: arrival time. */
  time?: string;
  timeFormat: TimeFormat;
}

/** `record: null`: the message carries no record and is no error (a CSV header line); the intake skips it. */
export type BuildResult =
  { ok: true; record: IngestRecord } | { ok: true; record: null } | { ok: false; reason: string };

/** The payload decoder of one receiver: stateful for stream formats that learn from the stream (a CSV header). */
function decoderFor(spec: RecordSpec): (payload: Buffer) => DecodeResult | null {
  const { format, columns, header } = spec;
  // The formats MQTT has always had keep their decoder exactly; the stream formats come from the codecs.
  if (format === 'json' || format === 'text' || format === 'number' || format === 'modbus') {
    return payloadDecoder({ format: format === 'modbus' ? 'json' : format });
  }
  if (format === 'csv' && header !== true) return payloadDecoder({ format, columns: columns ?? [] });
  const stream = createStreamDecoder({
    format,
    ...(columns === undefined ? {} : { columns }),
    ...(header === undefined ? {} : { header }),
  });
  return (payload) => stream.decode(payload);
}

export function recordBuilder(spec: RecordSpec): (message: RawMessage) => BuildResult {
  const decode = decoderFor(spec);
  const { receiver, key, time, timeFormat } = spec;
  return (message) => {
    if (message.error !== undefined) return { ok: false, reason: message.error };
    const decoded = decode(message.payload);
    if (decoded === null) return { ok: true, record: null };
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
