// A simulated line sensor for tests, the demo and the benchmark: readings of one or several climate sensors
// (deterministic for a seed) printed one per line as CSV, JSON or key=value, as small serial sensors do. Pure:
// it makes lines; writing them to a port at a rate is stream.ts's job.
import { ClimateSensor, type ClimateReading } from './climate-sensor.js';

export type LineFormat = 'csv' | 'json' | 'kv';

/** The CSV columns, in order (the header line names them). */
export const LINE_SENSOR_COLUMNS = ['ts', 'sensor', 'temp', 'hum'] as const;

export interface LineSensorOptions {
  /** How a reading is printed. Default: csv. */
  format?: LineFormat;
  /** How many sensors share the line, named `<prefix>-1` … Default: 1. */
  sensors?: number;
  /** Sensor name prefix. Default: sensor. */
  prefix?: string;
  /** Seed of the first sensor (the next ones use seed + 1, …). Default: 1. */
  seed?: number;
  /** Event time of the first reading, epoch ms. Default: the time of construction. */
  startMs?: number;
  /** Time between two readings of one sensor, ms. Default: 1000. */
  stepMs?: number;
}

export interface SensorReading extends ClimateReading {
  sensor: string;
}

interface SensorEntry {
  name: string;
  sensor: ClimateSensor;
}

export class LineSensor {
  readonly format: LineFormat;
  readonly #sensors: SensorEntry[];
  readonly #startMs: number;
  readonly #stepMs: number;
  /** Readings made so far. */
  count = 0;

  constructor(options: LineSensorOptions = {}) {
    this.format = options.format ?? 'csv';
    const n = options.sensors ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new RangeError('sensors must be a positive integer');
    const seed = options.seed ?? 1;
    const prefix = options.prefix ?? 'sensor';
    this.#sensors = Array.from({ length: n }, (_, i) => ({
      name: `${prefix}-${i + 1}`,
      sensor: new ClimateSensor(seed + i),
    }));
    this.#startMs = options.startMs ?? Date.now();
    this.#stepMs = options.stepMs ?? 1000;
  }

  /** The header line (csv only; a device prints it on power-up), without the line end. */
  header(): string | undefined {
    return this.format === 'csv' ? LINE_SENSOR_COLUMNS.join(',') : undefined;
  }

  /** The next reading: the sensors take turns, each one step after its previous reading. */
  next(): SensorReading {
    const k = this.count++;
    const n = this.#sensors.length;
    const entry = this.#sensors[k % n] as SensorEntry;
    const ts = this.#startMs + Math.floor(k / n) * this.#stepMs;
    return { sensor: entry.name, ...entry.sensor.read(ts) };
  }

  /** The next reading as a line, without the line end. */
  nextLine(): string {
    return formatReading(this.next(), this.format);
  }
}

/** One reading as the sensor prints it. */
export function formatReading(r: SensorReading, format: LineFormat): string {
  switch (format) {
    case 'csv':
      return `${r.ts},${r.sensor},${r.temp},${r.hum}`;
    case 'json':
      return JSON.stringify({ ts: r.ts, sensor: r.sensor, temp: r.temp, hum: r.hum });
    case 'kv':
      return `ts=${r.ts} sensor=${r.sensor} temp=${r.temp} hum=${r.hum}`;
  }
}
