// GET /metrics: the gateway in Prometheus' exposition format. One prom-client Registry per server (no global
// registry), so several servers can run in one process (tests). Counters and gauges read the gateway when
// scraped; the batch histograms are fed from the gateway's batch events.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Gateway } from '../app.js';
import type { BatchStats } from '../driver.js';

const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface Metrics {
  readonly registry: Registry;
  observeBatch(batch: BatchStats): void;
}

/** `gateway` returns the running gateway (it changes on reload). */
export function createMetrics(gateway: () => Gateway): Metrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  new Counter({
    name: 'sluice_receiver_records_total',
    help: 'Records received and written to the write-ahead log, per receiver, since the gateway started.',
    labelNames: ['receiver'],
    registers,
    collect() {
      this.reset();
      for (const [receiver, r] of Object.entries(gateway().status().receivers))
        this.inc({ receiver }, r.records);
    },
  });
  new Counter({
    name: 'sluice_receiver_dead_letters_total',
    help: 'Messages that could not become records (kept in the dead-letter store), per receiver.',
    labelNames: ['receiver'],
    registers,
    collect() {
      this.reset();
      for (const [receiver, r] of Object.entries(gateway().status().receivers)) {
        this.inc({ receiver }, r.deadLetters);
      }
    },
  });
  new Gauge({
    name: 'sluice_receiver_connected',
    help: '1 when the receiver is connected, else 0.',
    labelNames: ['receiver'],
    registers,
    collect() {
      this.reset();
      for (const [receiver, r] of Object.entries(gateway().status().receivers)) {
        this.set({ receiver }, r.state === 'connected' ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'sluice_sink_connected',
    help: '1 when the sink is connected, else 0.',
    labelNames: ['sink'],
    registers,
    collect() {
      this.reset();
      for (const [sink, s] of Object.entries(gateway().status().sinks))
        this.set({ sink }, s.state === 'connected' ? 1 : 0);
    },
  });
  const processing = new Histogram({
    name: 'sluice_batch_processing_seconds',
    help: 'Time to run a batch through the pipelines and commit it.',
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const scheduling = new Histogram({
    name: 'sluice_batch_scheduling_delay_seconds',
    help: 'From a batch time to the start of its processing (Spark’s scheduling delay).',
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const batchRecords = new Counter({
    name: 'sluice_batch_records_total',
    help: 'Records processed in batches.',
    registers,
  });
  // Both outbox gauges come from one scan of the outboxes per scrape.
  let backlog: Promise<Awaited<ReturnType<Gateway['backlog']>>> | undefined;
  const scan = (): Promise<Awaited<ReturnType<Gateway['backlog']>>> => {
    backlog ??= gateway()
      .backlog()
      .finally(() => {
        setImmediate(() => (backlog = undefined));
      });
    return backlog;
  };
  for (const [name, help, field] of [
    ['sluice_outbox_entries', 'Outputs waiting in the sink’s outbox.', 'entries'],
    ['sluice_outbox_bytes', 'Bytes of the outputs waiting in the sink’s outbox.', 'bytes'],
  ] as const) {
    new Gauge({
      name,
      help,
      labelNames: ['sink'],
      registers,
      async collect() {
        this.reset();
        for (const [sink, b] of Object.entries(await scan())) this.set({ sink }, b[field]);
      },
    });
  }
  new Counter({
    name: 'sluice_outbox_dropped_total',
    help: 'Outputs dropped from the sink’s outbox since start: reason full (its overflow policy) or age (older than maxAge).',
    labelNames: ['sink', 'reason'],
    registers,
    collect() {
      this.reset();
      for (const [sink, s] of Object.entries(gateway().status().sinks)) {
        this.inc({ sink, reason: 'full' }, s.outbox.dropped.full);
        this.inc({ sink, reason: 'age' }, s.outbox.dropped.age);
      }
    },
  });
  /** Each configured alert rule with its view (undefined before the graph is compiled). */
  const alertViews = () =>
    Object.keys(gateway().config.alerts).map((alert) => [alert, gateway().alertBoard.view(alert)] as const);
  new Gauge({
    name: 'sluice_alerts_firing',
    help: 'Keys of the alert rule that are firing now.',
    labelNames: ['alert'],
    registers,
    collect() {
      this.reset();
      for (const [alert, view] of alertViews()) {
        this.set({ alert }, view?.instances().filter((i) => i.state === 'firing').length ?? 0);
      }
    },
  });
  new Counter({
    name: 'sluice_alert_notifications_silenced_total',
    help: 'Notifications of the alert rule that a silence held back (kept in its checkpoint).',
    labelNames: ['alert'],
    registers,
    collect() {
      this.reset();
      for (const [alert, view] of alertViews()) this.inc({ alert }, view?.suppressed() ?? 0);
    },
  });
  new Gauge({
    name: 'sluice_silences_active',
    help: 'Silences in force now.',
    registers,
    collect() {
      this.set(gateway().alertBoard.silences.active().length);
    },
  });
  new Gauge({
    name: 'sluice_intake_pending_records',
    help: 'Records received and not yet in a batch.',
    registers,
    collect() {
      this.set(gateway().status().intake.pending);
    },
  });
  new Gauge({
    name: 'sluice_state_disk_full',
    help: '1 while the state store refuses writes for lack of space (input is not acknowledged meanwhile).',
    registers,
    collect() {
      this.set(gateway().status().diskFull ? 1 : 0);
    },
  });
  new Gauge({
    name: 'sluice_intake_backpressured',
    help: '1 while the intake is full and receivers are held back.',
    registers,
    collect() {
      this.set(gateway().status().intake.backpressured ? 1 : 0);
    },
  });

  return {
    registry,
    observeBatch(batch) {
      processing.observe(batch.processingMs / 1000);
      scheduling.observe(batch.schedulingDelayMs / 1000);
      batchRecords.inc(batch.records);
    },
  };
}
