// KeyMap: keys compare by value, as Spark compares keys with equals/hashCode.
import { expect, test } from 'vitest';
import { KeyMap } from '../../operators/index.js';

test('groups composite keys by value and gives back the first original key', () => {
  const m = new KeyMap<unknown, number>();
  const first = ['site', 1];
  m.merge(first, 1, (a, b) => a + b);
  m.merge(['site', 1], 2, (a, b) => a + b);
  m.merge('site,1', 10, (a, b) => a + b);
  m.merge(1, 100, (a, b) => a + b);
  m.merge('1', 1000, (a, b) => a + b);
  expect(m.toPairs()).toEqual([
    [['site', 1], 3],
    ['site,1', 10],
    [1, 100],
    ['1', 1000],
  ]);
  expect(m.toPairs()[0]?.[0]).toBe(first);
  expect(m.delete(['site', 1])).toBe(true);
  expect(m.has(first)).toBe(false);
  expect([...m.keys()]).toEqual(['site,1', 1, '1']);
});

test('keeps null and undefined keys apart', () => {
  const m = KeyMap.fromPairs<unknown, string>([
    [null, 'n'],
    [undefined, 'u'],
  ]);
  expect(m.get(null)).toBe('n');
  expect(m.get(undefined)).toBe('u');
  expect(m.size).toBe(2);
});
