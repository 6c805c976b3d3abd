// "Did you mean": close misspellings are suggested, unrelated names are not.
import { expect, test } from 'vitest';
import { didYouMean, editDistance } from '../../../daemon/config/suggest.js';

test('counts edits, with an adjacent swap as one', () => {
  expect(editDistance('topics', 'topic')).toBe(1);
  expect(editDistance('qso', 'qos')).toBe(1);
  expect(editDistance('kitten', 'sitting')).toBe(3);
});

test.each([
  ['topic', ['type', 'url', 'topics', 'qos'], 'topics'],
  ['qso', ['type', 'url', 'topics', 'qos'], 'qos'],
  ['climat', ['climate', 'power'], 'climate'],
  ['Format', ['format'], 'format'],
  ['intervall', ['interval'], 'interval'],
  ['banana', ['type', 'url', 'topics', 'qos'], undefined],
  ['x', ['qos', 'url'], undefined],
])('suggests for %j among %j: %j', (name, candidates, expected) => {
  expect(didYouMean(name, candidates)).toBe(expected);
});
