// The simulated-sensor receiver: every interval, one reading per sensor, handed to the intake like any other
// receiver's messages (and held back the same way when the intake is full).
import { ClimateSensor } from '../../../hardware/simulators/climate-sensor.js';
import type { Receiver, ReceiverHost } from '../../types.js';
import type { SimulatorReceiverConfig } from './config.js';

export class SimulatorReceiver implements Receiver {
  private timer: NodeJS.Timeout | undefined;
  private readonly sensors: ClimateSensor[];
  private delivering = false;

  constructor(
    readonly id: string,
    private readonly config: SimulatorReceiverConfig,
    private readonly host: ReceiverHost,
  ) {
    this.sensors = Array.from(
      { length: config.sensors },
      (_, i) => new ClimateSensor(config.seed * 100_003 + i),
    );
  }

  connect(): Promise<void> {
    this.timer ??= setInterval(() => {
      this.tick();
    }, this.config.interval);
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    return Promise.resolve();
  }

  private tick(): void {
    // Backpressure: while the intake has not taken the last round, skip rounds instead of queueing them.
    if (this.delivering) return;
    const now = Date.now();
    const messages = this.sensors.map((sensor, i) => ({
      topic: `sim/s-${i}/telemetry`,
      payload: Buffer.from(JSON.stringify(sensor.read(now))),
      arrivalMs: now,
    }));
    this.delivering = true;
    this.host
      .deliver(messages)
      .catch((err: unknown) => {
        this.host.log.warn({ receiver: this.id, err }, 'simulated readings not taken');
      })
      .finally(() => {
        this.delivering = false;
      });
  }
}
