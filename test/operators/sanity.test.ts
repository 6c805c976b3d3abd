import { describe, test } from 'vitest';
import { testOperation } from './harness.js';

describe('sanity', () => {
  test('map', async () => {
    await testOperation([[1, 2], [3]], (s) => s.map((x) => x * 2), [[2, 4], [6]]);
  });
  test('window 4s slide 2s on 1s batches holds a partial window first and drains', async () => {
    const input = [[1], [2], [3], [4], [5], [6]];
    await testOperation(
      input,
      (s) => s.window(4000, 2000),
      [[1, 2], [1, 2, 3, 4], [3, 4, 5, 6], [5, 6], []],
      {
        useSet: true,
        numBatches: 10,
      },
    );
  });
  test('countByWindow', async () => {
    const input = [[1], [1], [1, 2], [0], [], []];
    await testOperation(input, (s) => s.countByWindow(2000, 1000), [[1], [2], [3], [3], [1], [0]], {
      useSet: true,
    });
  });
  test('reduceByKeyAndWindow with inverse keeps zero keys', async () => {
    const input = [[['a', 1]], [['a', 1]], [], []] as [string, number][][];
    await testOperation(
      input,
      (s) =>
        s.reduceByKeyAndWindow(
          (a, b) => a + b,
          (a, b) => a - b,
          2000,
          1000,
        ),
      [[['a', 1]], [['a', 2]], [['a', 1]], [['a', 0]]],
      { useSet: true },
    );
  });
});
