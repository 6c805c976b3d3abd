// The record every receiver's messages become, as it is stored in the write-ahead log and fed to pipelines; and
// the builder that decodes a receiver's raw message into one (or into the reason it cannot).
import type { RawMessage } from '../../connectors/types.js';
import { payloadDecoder, type DecodeResult, type PayloadFormat } from '../../hardware/codecs/payload.js';
import { createStreamDecoder, type StreamFormat } from '../../hardware/codecs/stream-decoder.js';
import {
  celReservedWords,
  declaredVariables,
  evaluateKey,
  type CompiledKey,
} from '../../operators/expressions/index.js';
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

/**
 * A receiver's builder. `jsonPayload`: every record it builds has as fields exactly its message's payload parsed as
 * JSON (formats json and modbus), so the write-ahead log can store the payload's bytes instead of the fields.
 */
export type RecordBuilder = ((message: RawMessage) => BuildResult) & { readonly jsonPayload?: boolean };

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

/**
 * Strings records keep until their batch, shared: a fresh copy per message (the topic mqtt.js decodes, the key
 * cut from it) would live as long as its record, and at ten thousands of records a second that is most of what
 * survives the young generation. Bounded: cleared when full (a topic per message just stops being shared).
 */
class Interner {
  private readonly seen = new Map<string, string>();
  constructor(private readonly max = 4096) {}

  intern(s: string): string {
    const hit = this.seen.get(s);
    if (hit !== undefined) return hit;
    if (this.seen.size >= this.max) this.seen.clear();
    this.seen.set(s, s);
    return s;
  }
}

/** A field name the key can read directly: an identifier CEL takes as a field (not a variable, not reserved). */
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VARIABLES = new Set(['record', ...declaredVariables.map((v) => v.name)]);

/**
 * The common key expressions without the CEL interpreter: `topicParts[N]`, `topic` and a plain field name. Gives
 * the key when the answer is a plain one (a non-empty segment, a non-empty string or finite number field), and
 * undefined otherwise, when CEL evaluates the expression and words the error exactly as always.
 */
function fastKey(
  source: string,
): ((topic: string, fields: Record<string, unknown>) => string | undefined) | null {
  const expr = source.trim();
  const part = /^topicParts\s*\[\s*(\d{1,3})\s*\]$/.exec(expr);
  if (part !== null) {
    const n = Number(part[1]);
    return (topic) => {
      let start = 0;
      for (let i = 0; i < n; i++) {
        const slash = topic.indexOf('/', start);
        if (slash < 0) return undefined;
        start = slash + 1;
      }
      const end = topic.indexOf('/', start);
      const segment = end < 0 ? topic.slice(start) : topic.slice(start, end);
      return segment === '' ? undefined : segment;
    };
  }
  if (expr === 'topic') return (topic) => (topic === '' ? undefined : topic);
  if (FIELD.test(expr) && !VARIABLES.has(expr) && !celReservedWords.has(expr)) {
    return (_topic, fields) => {
      if (!Object.hasOwn(fields, expr)) return undefined;
      const value = fields[expr];
      if (typeof value === 'string') return value === '' ? undefined : value;
      return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
    };
  }
  return null;
}

export function recordBuilder(spec: RecordSpec): RecordBuilder {
  const decode = decoderFor(spec);
  const { receiver, key, time, timeFormat } = spec;
  const jsonPayload = spec.format === 'json' || spec.format === 'modbus';
  const direct = key === undefined ? null : fastKey(key.source);
  const strings = new Interner();
  const build = (message: RawMessage): BuildResult => {
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
    const topic = strings.intern(message.topic);
    let recordKey = topic;
    const quick = direct === null ? undefined : direct(topic, fields);
    if (quick !== undefined) recordKey = strings.intern(quick);
    else if (key !== undefined) {
      const result = evaluateKey(key, {
        fields,
        topic: message.topic,
        topicParts: message.topic.split('/'),
        receiver,
        ts: eventMs,
      });
      if (!result.ok) return { ok: false, reason: `key expression: ${result.message}` };
      recordKey = strings.intern(result.key);
    }
    return {
      ok: true,
      record: {
        receiver,
        topic,
        arrivalMs: message.arrivalMs,
        eventMs,
        key: recordKey,
        fields,
      },
    };
  };
  return Object.assign(build, { jsonPayload });
}
