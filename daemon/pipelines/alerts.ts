// Compiles the config's alert rules into the pipeline graph: each rule reads a pipeline's window results (at
// their window end) or a receiver's raw records (at their event time), keyed as they are, and its notifications
// go to the rule's sinks like any other output, under their deterministic ids. The AlertBoard is what the
// daemon sees of its rules: their live instances and history, the silences that mute them, and the
// transitions of each batch (published once the batch commits).
import type { OutboxEntry } from '../../connectors/types.js';
import {
  alertRule,
  type AlertHistoryEntry,
  type AlertInput,
  type AlertRuleView,
} from '../../operators/alerts/index.js';
import type { DStream } from '../../operators/index.js';
import type { Config } from '../config/schema.js';
import type { IngestRecord } from '../intake/record.js';
import type { Store } from '../store/store.js';
import { Silences } from './silences.js';

/** The streams alert rules can read, by pipeline id; receivers are read from the intake directly. */
export type AlertSources = Map<string, DStream<[string, AlertInput]>>;

/** True when some alert reads this pipeline: only then does the graph get a stream for it. */
export function alertsRead(config: Config, pipeline: string): boolean {
  return Object.values(config.alerts).some((alert) => alert.from === pipeline);
}

/** Transitions kept per rule (in its checkpoint): enough for a page of recent history. */
export const HISTORY_KEPT = 50;

/** The rules of a gateway as the daemon sees them. */
export class AlertBoard {
  readonly silences: Silences;
  private readonly views = new Map<string, AlertRuleView>();
  private computed: AlertHistoryEntry[] = [];

  /** now: the daemon's clock (epoch ms), for silences. Default: Date.now. */
  constructor(now: () => number = Date.now) {
    this.silences = new Silences(now);
  }

  /** Loads the stored silences: before the graph recovers, so a replayed batch is muted as it was. */
  open(store: Store): Promise<void> {
    return this.silences.open(store);
  }

  /** A rule's view, once the graph is compiled. */
  view(alert: string): AlertRuleView | undefined {
    return this.views.get(alert);
  }

  /** The latest notifications that went out, of every rule, newest first. */
  sent(limit: number): AlertHistoryEntry[] {
    if (limit <= 0) return [];
    return [...this.views.values()]
      .flatMap((view) => view.history().filter((e) => !e.silenced))
      .sort((a, b) => b.atMs - a.atMs)
      .slice(0, limit);
  }

  /** The transitions computed since the last call (the driver committed them). */
  takeTransitions(): AlertHistoryEntry[] {
    const taken = this.computed;
    this.computed = [];
    return taken;
  }

  /** Wires one rule to the board: its view, its silence lookup and its transitions. */
  attach(alert: string): {
    silenced: (key: string, atMs: number) => boolean;
    onTransition: (entry: AlertHistoryEntry) => void;
    expose: (view: AlertRuleView) => void;
  } {
    return {
      silenced: (key, atMs) => this.silences.match(alert, key, atMs) !== undefined,
      onTransition: (entry) => {
        this.computed.push(entry);
        if (!entry.silenced || entry.status !== 'firing') return;
        const silence = this.silences.match(alert, entry.key, entry.atMs);
        if (silence !== undefined) this.silences.count(silence.id);
      },
      expose: (view) => this.views.set(alert, view),
    };
  }
}

export function compileAlerts(
  config: Config,
  input: DStream<IngestRecord>,
  pipelines: AlertSources,
  push: (sinks: readonly string[], entry: OutboxEntry) => void,
  board: AlertBoard = new AlertBoard(),
): void {
  const receiverStreams = new Map<string, DStream<[string, AlertInput]>>();
  const receiverStream = (receiver: string): DStream<[string, AlertInput]> => {
    let stream = receiverStreams.get(receiver);
    if (stream === undefined) {
      stream = input.flatMap((record): [string, AlertInput][] =>
        record.receiver === receiver ? [[record.key, { timeMs: record.eventMs, values: record.fields }]] : [],
      );
      receiverStreams.set(receiver, stream);
    }
    return stream;
  };
  for (const [id, alert] of Object.entries(config.alerts)) {
    const source = pipelines.get(alert.from) ?? receiverStream(alert.from);
    alertRule(
      source,
      {
        id,
        gateway: config.gateway.id,
        source: alert.from,
        severity: alert.severity,
        labels: { ...(config.gateway.labels ?? {}), ...(alert.labels ?? {}) },
        ...(alert.when === undefined ? {} : { when: alert.when }),
        ...(alert.clear === undefined ? {} : { clear: alert.clear }),
        ...(alert.for === undefined ? {} : { forMs: alert.for }),
        ...(alert.repeat === undefined ? {} : { repeatMs: alert.repeat }),
        ...(alert.absent === undefined ? {} : { absentMs: alert.absent }),
      },
      { ...board.attach(id), historyKept: HISTORY_KEPT },
    )
      .named(`alert/${id}`)
      .foreachBatch((notifications) => {
        for (const n of notifications) push(alert.notify, { id: n.id, key: n.key, value: JSON.stringify(n) });
      });
  }
}
