// The simulated line sensor: deterministic for a seed, sensors taking turns, and every format it prints decodes
// with Sluice's own codecs back to the reading it made.
import { describe, expect, it } from 'vitest';
import { createStreamDecoder } from '../../../hardware/codecs/stream-decoder.js';
import {
  LINE_SENSOR_COLUMNS,
  LineSensor,
  formatReading,
  type LineFormat,
} from '../../../hardware/simulators/line-sensor.js';

describe('LineSensor', () => {
  it('is deterministic for a seed and lets its sensors take turns, one step apart', () => {
    const make = () => new LineSensor({ sensors: 2, seed: 7, startMs: 1_000, stepMs: 500 });
    const a = make();
    const b = make();
    const readings = Array.from({ length: 6 }, () => a.next());
    expect(Array.from({ length: 6 }, () => b.next())).toEqual(readings);
    expect(readings.map((r) => [r.sensor, r.ts])).toEqual([
      ['sensor-1', 1_000],
      ['sensor-2', 1_000],
      ['sensor-1', 1_500],
      ['sensor-2', 1_500],
      ['sensor-1', 2_000],
      ['sensor-2', 2_000],
    ]);
    expect(new LineSensor({ seed: 8, startMs: 0 }).next()).not.toEqual(
      new LineSensor({ seed: 7, startMs: 0 }).next(),
    );
  });

  it.each<LineFormat>(['csv', 'json', 'kv'])(
    'prints %s lines the codecs decode back to the reading',
    (format) => {
      const sensor = new LineSensor({ format, sensors: 3, startMs: 1_700_000_000_000 });
      const decoder = createStreamDecoder(format === 'csv' ? { format, header: true } : { format });
      const header = sensor.header();
      if (header !== undefined) expect(decoder.decode(Buffer.from(`${header}\n`))).toBeNull();
      for (let i = 0; i < 200; i++) {
        const reading = sensor.next();
        expect(decoder.decode(Buffer.from(`${formatReading(reading, format)}\n`))).toEqual({
          ok: true,
          fields: reading,
        });
      }
    },
  );

  it('names the CSV columns in its header', () => {
    expect(new LineSensor().header()).toBe(LINE_SENSOR_COLUMNS.join(','));
    expect(new LineSensor({ format: 'json' }).header()).toBeUndefined();
    expect(() => new LineSensor({ sensors: 0 })).toThrow(RangeError);
  });
});
