// Simulated MQTT climate sensors for the demo: each publishes a JSON reading { ts, temp, hum } every interval
// to sensors/<name>/telemetry, QoS 1, over a real MQTT connection (mqtt.js). One optional "hot" sensor heats up
// and cools down again in a slow sawtooth, so an overheat alert fires within a minute of the start and resolves.
import { ClimateSensor, type ClimateReading } from './climate-sensor.js';

export interface MqttSensorsOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1884. */
  url: string;
  /** Sensors named `<prefix>-1` … Default: 6. */
  sensors?: number;
  /** Name prefix. Default: gh. */
  prefix?: string;
  /** Time between two readings of a sensor, ms. Default: 1000. */
  intervalMs?: number;
  /** Adds the sensor `<prefix>-hot` (see HotSensor). Default: true. */
  hot?: boolean;
  /** Seed of the first sensor. Default: 7. */
  seed?: number;
}

export interface MqttSensors {
  /** Readings published (acknowledged) so far. */
  readonly published: number;
  stop(): Promise<void>;
}

/**
 * A sensor next to a heater that cycles: from 28 °C it climbs to 43 °C over the first 40 s, cools back down over
 * the next 40 s, and again. Above 35 °C from about 19 s to 61 s of each cycle.
 */
export class HotSensor {
  readonly #startMs: number;
  readonly #base: ClimateSensor;
  constructor(startMs: number, seed: number) {
    this.#startMs = startMs;
    this.#base = new ClimateSensor(seed);
  }

  read(ts: number): ClimateReading {
    const phase = ((ts - this.#startMs) / 80_000) % 1; // 0…1 over 80 s
    const heat = phase < 0.5 ? phase * 2 : (1 - phase) * 2; // 0 → 1 → 0
    const { hum } = this.#base.read(ts);
    return { ts, temp: Math.round((28 + 15 * heat) * 100) / 100, hum };
  }
}

/** Starts publishing; connects in the background and again whenever the broker is away (mqtt.js queues the
 * readings meanwhile), so it may start before the broker listens. */
export async function startMqttSensors(options: MqttSensorsOptions): Promise<MqttSensors> {
  const { connect } = await import('mqtt');
  const prefix = options.prefix ?? 'gh';
  const seed = options.seed ?? 7;
  const startMs = Date.now();
  const sensors: { name: string; read: (ts: number) => ClimateReading }[] = Array.from(
    { length: options.sensors ?? 6 },
    (_, i) => {
      const sensor = new ClimateSensor(seed + i);
      return { name: `${prefix}-${i + 1}`, read: (ts: number) => sensor.read(ts) };
    },
  );
  if (options.hot ?? true) {
    const hot = new HotSensor(startMs, seed + 1000);
    sensors.push({ name: `${prefix}-hot`, read: (ts) => hot.read(ts) });
  }
  const client = connect(options.url, {
    clientId: `sluice-demo-sensors-${String(process.pid)}`,
    reconnectPeriod: 500,
  });
  client.on('error', () => undefined); // refused while the broker starts: mqtt.js tries again
  let published = 0;
  const tick = (): void => {
    const ts = Date.now();
    for (const sensor of sensors) {
      client
        .publishAsync(`sensors/${sensor.name}/telemetry`, JSON.stringify(sensor.read(ts)), { qos: 1 })
        .then(
          () => {
            published++;
          },
          () => undefined, // offline: mqtt.js queues it and sends it on reconnect, or it is dropped at stop
        );
    }
  };
  const timer = setInterval(tick, options.intervalMs ?? 1000);
  tick();
  return {
    get published() {
      return published;
    },
    async stop() {
      clearInterval(timer);
      await client.endAsync(true);
    },
  };
}
