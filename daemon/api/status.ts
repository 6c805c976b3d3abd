// Builds GET /api/v1/status from a gateway: batch statistics summarized as Spark's streaming UI does (input rate
// and delays over the last N batches, average and latest), receivers with their rates, sinks with their outbox
// backlog, the intake and the disk use of the state directory.
import { readdir, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Gateway } from '../app.js';
import { sluiceVersion } from '../cli/version.js';
import type { BatchStats } from '../driver.js';
import type { StatusBody } from './schemas.js';

/** Receivers' records per second over a sliding window of counter samples (taken on each batch). */
export class ReceiverRates {
  private samples: { ms: number; records: Map<string, number> }[] = [];

  /** windowMs: how far back the rate looks (default 10 s). */
  constructor(private readonly windowMs = 10_000) {}

  sample(gateway: Gateway, ms = Date.now()): void {
    const records = new Map<string, number>();
    for (const [id, r] of Object.entries(gateway.status().receivers)) records.set(id, r.records);
    const last = this.samples.at(-1);
    // Counters restart with a new gateway (a reload): start over.
    if (last !== undefined && [...records].some(([id, n]) => n < (last.records.get(id) ?? 0))) this.reset();
    this.samples.push({ ms, records });
    // Keep one sample older than the window so the rate always spans it.
    while (this.samples.length > 2 && (this.samples[1]?.ms ?? ms) <= ms - this.windowMs) this.samples.shift();
  }

  rate(receiver: string): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (first === undefined || last === undefined || last.ms <= first.ms) return 0;
    const delta = (last.records.get(receiver) ?? 0) - (first.records.get(receiver) ?? 0);
    return Math.max(0, delta) / ((last.ms - first.ms) / 1000);
  }

  reset(): void {
    this.samples = [];
  }
}

function summary(values: readonly number[]): { avg: number | null; latest: number | null } {
  if (values.length === 0) return { avg: null, latest: null };
  return { avg: values.reduce((a, b) => a + b, 0) / values.length, latest: values.at(-1) ?? null };
}

export function batchSummary(batches: readonly BatchStats[], intervalMs: number): StatusBody['batches'] {
  const seconds = intervalMs / 1000;
  return {
    intervalMs,
    count: batches.length,
    lastBatchMs: batches.at(-1)?.batchTimeMs ?? null,
    inputRate: summary(batches.map((b) => b.records / seconds)),
    schedulingDelayMs: summary(batches.map((b) => b.schedulingDelayMs)),
    processingMs: summary(batches.map((b) => b.processingMs)),
    totalDelayMs: summary(batches.map((b) => b.totalDelayMs)),
  };
}

/** Filesystem size and free space under the state dir, and the size of its LevelDB; null where unreadable. */
export async function diskUse(stateDir: string): Promise<Omit<StatusBody['disk'], 'full'>> {
  const dir = path.resolve(stateDir);
  let totalBytes: number | null = null;
  let availableBytes: number | null = null;
  try {
    const fs = await statfs(dir);
    totalBytes = fs.blocks * fs.bsize;
    availableBytes = fs.bavail * fs.bsize;
  } catch {
    // Not created yet, or unreadable: reported as unknown.
  }
  let dbBytes: number | null = null;
  try {
    const db = path.join(dir, 'db');
    let sum = 0;
    for (const name of await readdir(db)) {
      const s = await stat(path.join(db, name)).catch(() => undefined);
      if (s?.isFile() === true) sum += s.size;
    }
    dbBytes = sum;
  } catch {
    // As above.
  }
  return { path: dir, totalBytes, availableBytes, dbBytes };
}

export async function buildStatus(
  gateway: Gateway,
  rates: ReceiverRates,
  nowMs = Date.now(),
): Promise<StatusBody> {
  const s = gateway.status();
  const backlog = await gateway.backlog();
  return {
    version: sluiceVersion(),
    gateway: s.gateway,
    phase: s.phase,
    uptimeSeconds: process.uptime(),
    startedMs: s.startedMs,
    commitError: s.commitError,
    batches: batchSummary(s.batches, gateway.config.batch.interval),
    receivers: Object.fromEntries(
      Object.entries(s.receivers).map(([id, r]) => [id, { ...r, recordsPerSecond: rates.rate(id) }]),
    ),
    sinks: Object.fromEntries(
      Object.entries(s.sinks).map(([id, sink]) => {
        const b = backlog[id];
        return [
          id,
          {
            ...sink,
            outboxEntries: b?.entries ?? 0,
            outboxBytes: b?.bytes ?? 0,
            oldestEntryAgeSeconds:
              b?.oldestMs === null || b?.oldestMs === undefined
                ? null
                : Math.max(0, nowMs - b.oldestMs) / 1000,
          },
        ];
      }),
    ),
    intake: s.intake,
    disk: { ...(await diskUse(gateway.config.state.dir)), full: s.diskFull },
  };
}
