// The decoder a serial receiver holds for its stream: one frame's payload into a record's fields, with state
// learnt from the stream itself (a CSV header), and the factory that picks it from the configured format.
import { csvDecoder } from './csv.js';
import { kvDecoder } from './kv.js';
import { nmeaDecoder } from './nmea.js';
import { payloadDecoder, type DecodeResult } from './payload.js';

export interface StreamDecoder {
  /**
   * One frame into fields, or the reason it cannot be decoded (dead-lettered with it), or `null` for a frame
   * that carries no record (a CSV header line). Never throws.
   */
  decode(payload: Buffer): DecodeResult | null;
  /** Forgets what was learnt from the stream (the CSV header): call it when the device restarts its output. */
  reset(): void;
}

/** Formats for framed streams. Modbus is not one: it is polled (see codecs/modbus). */
export type StreamFormat = 'json' | 'csv' | 'kv' | 'text' | 'number' | 'nmea';

export interface StreamDecoderOptions {
  format: StreamFormat;
  /** csv: column names, in order. */
  columns?: readonly string[];
  /** csv: the first line is a header (see csvDecoder). Default: false. */
  header?: boolean;
  /** csv: cell separator. Default: `,`. */
  separator?: string;
  /** nmea: reject sentences without a checksum. Default: true. */
  requireChecksum?: boolean;
}

const stateless = (decode: (payload: Buffer) => DecodeResult): StreamDecoder => ({
  decode,
  reset: () => undefined,
});

/** Builds the decoder for a stream. Throws RangeError for options no stream could use (csv without columns). */
export function createStreamDecoder(options: StreamDecoderOptions): StreamDecoder {
  switch (options.format) {
    case 'csv':
      return csvDecoder({
        ...(options.columns === undefined ? {} : { columns: options.columns }),
        ...(options.header === undefined ? {} : { header: options.header }),
        ...(options.separator === undefined ? {} : { separator: options.separator }),
      });
    case 'kv':
      return stateless(kvDecoder());
    case 'nmea':
      return stateless(
        nmeaDecoder(
          options.requireChecksum === undefined ? {} : { requireChecksum: options.requireChecksum },
        ),
      );
    case 'json':
    case 'text':
    case 'number':
      return stateless(payloadDecoder({ format: options.format }));
  }
}
