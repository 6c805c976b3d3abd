import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeKv, kvDecoder } from '../../../hardware/codecs/kv.js';

describe('decodeKv', () => {
  it.each<[string, Record<string, unknown>]>([
    ['temp=21.5 hum=40', { temp: 21.5, hum: 40 }],
    ['temp=21.5,hum=40', { temp: 21.5, hum: 40 }],
    ['temp=21.5, hum=40;\tok=yes\r\n', { temp: 21.5, hum: 40, ok: 'yes' }],
    ['room="living room" t=-3e1', { room: 'living room', t: -30 }],
    ['id="0042" note="say \\"hi\\", a\\\\b"', { id: '0042', note: 'say "hi", a\\b' }],
    ['empty= next=1', { empty: '', next: 1 }],
    ['t=1 t=2', { t: 2 }],
    ['sensor.id=boiler-1 v=0x10', { 'sensor.id': 'boiler-1', v: '0x10' }],
  ])('decodes %j', (line, fields) => {
    expect(decodeKv(line)).toEqual({ ok: true, fields });
  });

  it('keeps values as text when numbers is off', () => {
    expect(decodeKv('a=1 b=2.5', { numbers: false })).toEqual({ ok: true, fields: { a: '1', b: '2.5' } });
  });

  it.each<[string, RegExp]>([
    ['', /empty line/],
    ['  ,, ', /empty line/],
    ['temp 21.5', /expected key=value/],
    ['=5', /empty key/],
    ['a="open', /unterminated quote/],
    ['a="x"y', /after the closing quote/],
    ['a=b=c', /malformed value/],
    ['a=x"y', /malformed value/],
  ])('rejects %j', (line, reason) => {
    const result = decodeKv(line);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('stores a __proto__ key as data, never as the prototype', () => {
    const result = decodeKv('__proto__=1 a=2');
    expect(result.ok && Object.getPrototypeOf(result.fields)).toBe(Object.prototype);
    expect(result.ok && Object.keys(result.fields)).toEqual(['__proto__', 'a']);
  });

  it('never throws on arbitrary bytes, and rejects invalid UTF-8 with a reason', () => {
    const decode = kvDecoder();
    expect(decode(Buffer.from([0x61, 0x3d, 0xff]))).toEqual({
      ok: false,
      reason: 'payload is not valid UTF-8',
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(typeof decode(Buffer.from(bytes)).ok).toBe('boolean');
      }),
    );
  });
});
