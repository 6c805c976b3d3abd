import { describe, expect, it } from 'vitest';
import { createStreamDecoder } from '../../../hardware/codecs/stream-decoder.js';

const b = (text: string) => Buffer.from(text);

describe('createStreamDecoder', () => {
  it.each<[Parameters<typeof createStreamDecoder>[0], string, unknown]>([
    [{ format: 'json' }, '{"t":1}', { ok: true, fields: { t: 1 } }],
    [{ format: 'text' }, 'hello', { ok: true, fields: { value: 'hello' } }],
    [{ format: 'number' }, ' 21.5 ', { ok: true, fields: { value: 21.5 } }],
    [{ format: 'kv' }, 't=1 h=2', { ok: true, fields: { t: 1, h: 2 } }],
    [{ format: 'csv', columns: ['t', 'h'] }, '1,2', { ok: true, fields: { t: 1, h: 2 } }],
    [{ format: 'csv', header: true }, 't,h', null],
    [
      { format: 'nmea' },
      '$GPGLL,4916.45,N,12311.12,W,225444,A,*1D',
      {
        ok: true,
        fields: {
          talker: 'GP',
          sentence: 'GLL',
          fields: ['4916.45', 'N', '12311.12', 'W', '225444', 'A', ''],
        },
      },
    ],
    [
      { format: 'nmea', requireChecksum: false },
      '$GPGLL,1',
      { ok: true, fields: { talker: 'GP', sentence: 'GLL', fields: ['1'] } },
    ],
  ])('decodes %j', (options, payload, expected) => {
    expect(createStreamDecoder(options).decode(b(payload))).toEqual(expected);
  });
});
