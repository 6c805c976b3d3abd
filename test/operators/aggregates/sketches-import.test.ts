// Pins how @datadog/sketches-js (CommonJS) loads under ESM nodenext, and the library behaviour quantile.ts relies on.
import { DDSketch } from '@datadog/sketches-js';
import { describe, expect, test } from 'vitest';

describe('@datadog/sketches-js under ESM', () => {
  test('exposes DDSketch as a named import', () => {
    const sketch = new DDSketch({ relativeAccuracy: 0.01 });
    sketch.accept(10);
    expect(sketch.count).toBe(1);
    expect(Math.abs(sketch.getValueAtQuantile(0.5) - 10)).toBeLessThanOrEqual(0.1);
  });
});

describe('@datadog/sketches-js 2.1.1 defects that quantile.ts works around', () => {
  // When one of these starts failing, the library was fixed: quantile.ts may go back to DDSketch.merge.
  test('DDSketch.merge drops the negative values of the merged sketch (DataDog/sketches-js#22)', () => {
    const a = new DDSketch();
    const b = new DDSketch();
    [-5, -4, -3].forEach((v) => {
      a.accept(v);
    });
    [-2, -1].forEach((v) => {
      b.accept(v);
    });
    a.merge(b);
    expect(a.count).toBe(5);
    expect(a.negativeStore.count).toBe(3);
  });
});
