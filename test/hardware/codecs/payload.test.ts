// The JSON payload decoder's nesting bound (MAX_JSON_DEPTH): exactly at the bound is a record, one deeper is a
// reason, whether the nesting starts at the top level or under a flat sibling, in objects or arrays.
import { describe, expect, test } from 'vitest';
import { MAX_JSON_DEPTH, payloadDecoder } from '../../../hardware/codecs/payload.js';

const decode = payloadDecoder({ format: 'json' });

/** A JSON object whose nesting depth is `depth` (the top-level object counts as 1). */
function nested(depth: number, array = false): string {
  let inner = '1';
  for (let d = depth; d > 1; d--) inner = array ? `[${inner}]` : `{"a":${inner}}`;
  return `{"flat":2,"deep":${inner}}`;
}

describe('JSON nesting bound', () => {
  test('a flat object is a record', () => {
    expect(decode(Buffer.from('{"temp":21.5,"hum":40,"id":"s1","ok":true,"none":null}'))).toEqual({
      ok: true,
      fields: { temp: 21.5, hum: 40, id: 's1', ok: true, none: null },
    });
  });

  test.each([false, true])(
    `depth ${MAX_JSON_DEPTH} is a record, ${MAX_JSON_DEPTH + 1} is not (arrays: %s)`,
    (array) => {
      expect(decode(Buffer.from(nested(MAX_JSON_DEPTH, array))).ok).toBe(true);
      expect(decode(Buffer.from(nested(MAX_JSON_DEPTH + 1, array)))).toEqual({
        ok: false,
        reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
      });
    },
  );
});
