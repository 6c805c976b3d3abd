import { describe, expect, it } from 'vitest';
import { createFramer, framingSchema } from '../../../hardware/framing/index.js';
import { run, seen } from './harness.js';

describe('framing config', () => {
  it('fills in defaults and builds each framer', () => {
    expect(framingSchema.parse({ type: 'line' })).toEqual({ type: 'line', eol: 'auto', skipEmpty: true });
    const cases: [unknown, Buffer, string[]][] = [
      [{ type: 'line', eol: 'crlf' }, Buffer.from('a\r\nb\nc\r\n'), ['61', '620a63']],
      [{ type: 'delimiter', delimiter: [0x7e] }, Buffer.from([1, 0x7e, 2, 0x7e]), ['01', '02']],
      [{ type: 'delimiter', delimiter: '\r\n>' }, Buffer.from('ok\r\n>'), ['6f6b']],
      [{ type: 'length', prefixBytes: 1, preamble: [0xaa] }, Buffer.from([0xaa, 1, 9]), ['09']],
      [{ type: 'slip' }, Buffer.from([0xc0, 5, 0xc0]), ['05']],
      [{ type: 'inter-byte-timeout', gapMs: 5 }, Buffer.from([1, 2]), ['0102']],
    ];
    for (const [config, bytes, frames] of cases) {
      const framer = createFramer(framingSchema.parse(config));
      expect(seen(run(framer, [bytes]))).toEqual(frames.map((f) => ['frame', f]));
    }
  });

  it.each<[string, unknown]>([
    ['an unknown type', { type: 'cobs' }],
    ['an empty delimiter', { type: 'delimiter', delimiter: '' }],
    ['a byte above 255', { type: 'delimiter', delimiter: [256] }],
    ['a 3-byte prefix', { type: 'length', prefixBytes: 3 }],
    ['a zero gap', { type: 'inter-byte-timeout', gapMs: 0 }],
    ['a zero maxLength', { type: 'slip', maxLength: 0 }],
    ['an unknown key', { type: 'line', delimiter: '\n' }],
  ])('rejects %s', (_name, config) => {
    expect(framingSchema.safeParse(config).success).toBe(false);
  });
});
