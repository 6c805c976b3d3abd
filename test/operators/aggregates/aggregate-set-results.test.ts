// AggregateSet results are plain objects with every output name in spec order, whatever the names: the fast
// result builder must agree with a naive Object.fromEntries, including for names that are awkward in code.
import { describe, expect, test } from 'vitest';
import { compileAggregateSet } from '../../../operators/aggregates/index.js';

const AWKWARD = [
  '__proto__',
  'constructor',
  '0',
  'a"b',
  "it's",
  'line\u2028sep',
  'back\\slash',
  '${x}',
  '',
  'ünï',
];

describe('AggregateSet results', () => {
  test.each(AWKWARD)('keep the output name %j as an own, enumerable key in spec order', (name) => {
    const set = compileAggregateSet({ first: 'count()', [name]: 'max(v)', last: 'p50(v)' });
    let s = set.init();
    for (const v of [3, 1, 2]) s = set.add(s, { v }, 0);
    const r = set.result(s);
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    expect(Object.keys(r)).toEqual(
      Object.keys(
        Object.fromEntries([
          ['first', 0],
          [name, 0],
          ['last', 0],
        ]),
      ),
    );
    expect(Object.getOwnPropertyDescriptor(r, name)).toMatchObject({ value: 3, enumerable: true });
    expect(r.first).toBe(3);
  });

  test('give every result its own object', () => {
    const set = compileAggregateSet({ n: 'count()', avg: 'avg(v)' });
    const s = set.add(set.init(), { v: 4 }, 0);
    const a = set.result(s);
    const b = set.result(s);
    expect(a).toEqual({ n: 1, avg: 4 });
    expect(a).not.toBe(b);
  });
});
