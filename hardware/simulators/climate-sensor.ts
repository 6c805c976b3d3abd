// A simulated climate sensor (temperature, humidity) for the demo and for tests: deterministic for a seed, with
// slow drift, noise, and an occasional spike, so windows and alerts have something to show.

export interface ClimateReading {
  ts: number;
  temp: number;
  hum: number;
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class ClimateSensor {
  private readonly random: () => number;
  private temp: number;
  private hum: number;

  constructor(seed: number) {
    this.random = seededRandom(seed);
    this.temp = 18 + this.random() * 8;
    this.hum = 40 + this.random() * 20;
  }

  /** The next reading at time ts (epoch ms). */
  read(ts: number): ClimateReading {
    this.temp += (this.random() - 0.5) * 0.4;
    this.hum = Math.min(100, Math.max(0, this.hum + (this.random() - 0.5) * 1.0));
    const spike = this.random() < 0.01 ? 20 : 0;
    return { ts, temp: round(this.temp + spike), hum: round(this.hum) };
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
