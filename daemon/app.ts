// Builds a gateway from a validated config and returns { start, stop, status }: the store, the intake, the
// pipeline graph and its driver, a supervisor per connector, a forwarder per sink. No process concerns here
// (main.ts has those), so tests run whole gateways in-process.
import { findReceiver, findSink } from '../connectors/registry.js';
import type { Logger, OutboxEntry, Receiver, ReceiverModule, Sink, SinkModule } from '../connectors/types.js';
import { compileKey } from '../operators/expressions/index.js';
import {
  drainSchema,
  outboxLimitsSchema,
  type DrainConfig,
  type OutboxLimits,
} from './config/common-schemas.js';
import type { Config, ReceiverConfig, SinkConfig } from './config/schema.js';
import { Driver, type BatchStats, type DriverOptions, type RecoveryReport } from './driver.js';
import type { CompiledGraph } from './pipelines/compile.js';
import type { WindowRecord } from './pipelines/window-result.js';
import type { AlertHistoryEntry } from '../operators/alerts/index.js';
import { AlertBoard } from './pipelines/alerts.js';
import type { Silence } from './pipelines/silences.js';
import { isSluiceError, SluiceError } from './errors.js';
import { Forwarder } from './forwarder.js';
import type { DeadLetter } from './intake/dead-letter.js';
import { Intake, type IntakeOptions } from './intake/intake.js';
import { keyTimeMs, Outbox, OutboxSet } from './outbox.js';
import { recordBuilder } from './intake/record.js';
import { compilePipelines } from './pipelines/compile.js';
import { corruptionError, isCorruption } from './store/damage.js';
import { Store } from './store/store.js';
import { Supervisor, type BackoffOptions, type ConnectorStatus } from './supervisor.js';

export interface GatewayOptions {
  log: Logger;
  intake?: IntakeOptions;
  driver?: DriverOptions;
  backoff?: BackoffOptions;
  /** Latest window results kept in memory per pipeline, for the API (default 200). */
  resultsKept?: number;
}

/** Where the gateway is in its life: `ready` once state is recovered and every receiver started. */
export type GatewayPhase = 'created' | 'starting' | 'ready' | 'stopping' | 'stopped' | 'failed';

/** What the gateway tells its observers (the API's event stream and metrics). */
export type GatewayEvent =
  | { type: 'batch'; batch: BatchStats }
  | { type: 'receiver'; id: string; status: ConnectorStatus }
  | { type: 'sink'; id: string; status: ConnectorStatus }
  | { type: 'phase'; phase: GatewayPhase }
  | { type: 'alert'; transition: AlertHistoryEntry }
  | { type: 'silence'; action: 'created' | 'deleted' | 'expired'; silence: Silence };

export interface GatewayStatus {
  gateway: string;
  phase: GatewayPhase;
  startedMs: number;
  recovery: RecoveryReport | null;
  intake: { pending: number; backpressured: boolean; lastError: string | null };
  commitError: string | null;
  /** True while the state store refuses writes for lack of space: input is not acknowledged meanwhile. */
  diskFull: boolean;
  receivers: Record<
    string,
    ConnectorStatus & { records: number; deadLetters: number; lastRecordMs: number | null }
  >;
  sinks: Record<string, ConnectorStatus & { sent: number; outbox: OutboxStatus }>;
  batches: readonly BatchStats[];
}

/** A sink's outbox: running counters (no scan) and its bounds. */
export interface OutboxStatus {
  entries: number;
  bytes: number;
  /** Batch time of the oldest entry, epoch ms; null when empty. */
  oldestMs: number | null;
  maxBytes: number;
  maxAgeMs: number;
  onFull: 'drop-oldest' | 'reject-new';
  /** Entries dropped since start: `full` by the overflow policy, `age` older than maxAge. */
  dropped: { full: number; age: number };
}

export interface Gateway {
  /** The config it was built from. */
  readonly config: Config;
  start(): Promise<RecoveryReport>;
  stop(): Promise<void>;
  status(): GatewayStatus;
  /** Outbox backlog per sink; `oldestMs` is the batch time of the oldest entry (null when empty). */
  backlog(): Promise<Record<string, { entries: number; bytes: number; oldestMs: number | null }>>;
  /** The newest dead letters first, optionally of one receiver. */
  deadLetters(options?: { receiver?: string; limit?: number }): Promise<DeadLetter[]>;
  /** A pipeline's latest committed window results, newest first (kept in memory since start). */
  results(pipeline: string, limit?: number): WindowRecord[];
  /** The latest alert notifications that went out (firing, repeats, resolved) of every rule, newest first: from
   * the rules' checkpointed histories (alertBoard has those with the silenced ones too). */
  alerts(limit?: number): AlertHistoryEntry[];
  /** The alert rules' live instances, history and silences. */
  readonly alertBoard: AlertBoard;
  /** Tells observers about a silence made or deleted (through the API). */
  silenceChanged(action: 'created' | 'deleted', silence: Silence): void;
  /** Calls listener with every event until the returned function is called. */
  subscribe(listener: (event: GatewayEvent) => void): () => void;
}

export function createGateway(config: Config, options: GatewayOptions): Gateway {
  const log = options.log;
  let store: Store | undefined;
  let intake: Intake | undefined;
  let driver: Driver | undefined;
  let recovery: RecoveryReport | null = null;
  const receiverParts = new Map<string, { receiver: Receiver; supervisor: Supervisor }>();
  const sinkParts = new Map<string, { sink: Sink; supervisor: Supervisor; forwarder: Forwarder }>();
  const startedMs = Date.now();
  let phase: GatewayPhase = 'created';
  const listeners = new Set<(event: GatewayEvent) => void>();
  const emit = (event: GatewayEvent): void => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        log.error({ err }, 'gateway event listener failed');
      }
    }
  };
  const setPhase = (next: GatewayPhase): void => {
    phase = next;
    emit({ type: 'phase', phase: next });
  };
  // Window results: outputs of a batch are held until its commit, then go into a bounded ring per pipeline.
  // In memory because an outbox entry is deleted as soon as its sink acknowledges it.
  const resultsKept = options.resultsKept ?? 200;
  const rings = new Map<string, WindowRecord[]>(Object.keys(config.pipelines).map((id) => [id, []]));
  let uncommitted: Map<string, OutboxEntry[]>[] = [];
  const publishResults = (): void => {
    for (const outputs of uncommitted) {
      const seen = new Set<string>();
      for (const entries of outputs.values()) {
        for (const entry of entries) {
          if (seen.has(entry.id)) continue; // the same record goes to each of the pipeline's sinks
          seen.add(entry.id);
          // Alert notifications have no pipeline: the rules keep their own history (alertBoard).
          const record = JSON.parse(entry.value) as WindowRecord;
          const ring = rings.get(record.pipeline);
          if (ring === undefined) continue;
          ring.push(record);
          if (ring.length > resultsKept) ring.splice(0, ring.length - resultsKept);
        }
      }
    }
    uncommitted = [];
  };
  // Batch events: the driver has no per-batch hook, so new statistics are picked up after a commit with
  // outputs and when the next batch starts (at most one batch interval late for batches without outputs).
  // Alert transitions go out the same way: a batch's, once it committed.
  let lastBatchMs = Number.NEGATIVE_INFINITY;
  const alertBoard = new AlertBoard(options.driver?.now ?? Date.now);
  const emitNewBatches = (): void => {
    for (const transition of alertBoard.takeTransitions()) emit({ type: 'alert', transition });
    for (const batch of driver?.stats ?? []) {
      if (batch.batchTimeMs <= lastBatchMs) continue;
      lastBatchMs = batch.batchTimeMs;
      emit({ type: 'batch', batch });
    }
    void alertBoard.silences.prune().then(
      (expired) => {
        for (const silence of expired) emit({ type: 'silence', action: 'expired', silence });
      },
      (err: unknown) => {
        log.warn({ err }, 'expired silences not deleted');
      },
    );
  };
  const observe = (graph: CompiledGraph): CompiledGraph => ({
    ...graph,
    feed: (records) => {
      emitNewBatches();
      graph.feed(records);
    },
    takeOutputs: () => {
      const outputs = graph.takeOutputs();
      if (outputs.size > 0) uncommitted.push(outputs);
      return outputs;
    },
  });

  const start = async (): Promise<RecoveryReport> => {
    setPhase('starting');
    try {
      const report = await startParts();
      setPhase('ready');
      return report;
    } catch (err) {
      setPhase('failed');
      // A table that cannot be read surfaces while state is recovered: say how to repair it, not "a bug".
      if (isCorruption(err) && !isSluiceError(err)) throw corruptionError(config.state.dir, err);
      throw err;
    }
  };

  const startParts = async (): Promise<RecoveryReport> => {
    store = await Store.open(config.state.dir, config.state.durability);
    const activeStore = store;
    if (activeStore.damage.length > 0) {
      log.warn(
        { stateDir: config.state.dir, damage: activeStore.damage },
        'state store damaged: starting with what is intact',
      );
    }
    await alertBoard.open(activeStore);
    const activeIntake = new Intake(activeStore, options.intake);
    intake = activeIntake;
    for (const [id, rc] of Object.entries(config.receivers)) activeIntake.addReceiver(id, builderFor(id, rc));
    const graph = observe(compilePipelines(config, { now: options.driver?.now ?? Date.now }, alertBoard));
    driver = new Driver(activeStore, activeIntake, graph, log, options.driver);
    driver.onCommit(() => {
      publishResults();
      emitNewBatches();
    });
    recovery = await driver.recover();
    publishResults();
    log.info({ ...recovery }, 'state recovered');

    const outboxes = new OutboxSet();
    for (const [id, sc] of Object.entries(config.sinks)) {
      const sink = await createSink(id, sc, {
        log,
        durability: config.state.durability,
        disconnected: (err) => {
          sinkParts.get(id)?.supervisor.disconnected(err);
        },
      });
      const supervisor = new Supervisor(`sink:${id}`, () => sink.connect(), log, options.backoff);
      supervisor.onChange((s) => {
        emit({ type: 'sink', id, status: s });
      });
      const { outbox: limits, drain } = sinkCommonConfig(sc);
      const outbox = await Outbox.open(activeStore, id, limits, options.driver?.now ?? Date.now);
      outboxes.add(outbox);
      const refused = activeStore.sinkDeadLetters(id);
      const forwarder = new Forwarder(id, sink, outbox, supervisor, log, {
        drain,
        deadLetter: (key, entry, reason) =>
          activeStore.write([
            { type: 'put', sublevel: refused, key, value: { sink: id, ...entry, reason, atMs: Date.now() } },
          ]),
      });
      sinkParts.set(id, { sink, supervisor, forwarder });
      forwarder.start();
      // Not awaited: a sink or broker that does not answer must not hold up the gateway (its first attempt can
      // take the whole connect timeout); status shows it connecting.
      void supervisor.start();
    }
    driver.onCommit((sinks) => {
      for (const id of sinks) sinkParts.get(id)?.forwarder.wake();
    });
    driver.useOutboxes(outboxes);
    driver.start();
    for (const [id, rc] of Object.entries(config.receivers)) {
      const receiver = await createReceiver(id, rc, config.gateway.id, {
        log,
        deliver: (messages, deliverOptions) => activeIntake.deliver(id, messages, deliverOptions),
        savedProgress: () => activeIntake.savedProgress(id),
        disconnected: (err) => {
          receiverParts.get(id)?.supervisor.disconnected(err);
        },
      });
      const supervisor = new Supervisor(`receiver:${id}`, () => receiver.connect(), log, options.backoff);
      supervisor.onChange((s) => {
        emit({ type: 'receiver', id, status: s });
      });
      receiverParts.set(id, { receiver, supervisor });
      void supervisor.start();
    }
    return recovery;
  };

  const stop = async (): Promise<void> => {
    setPhase('stopping');
    for (const { receiver, supervisor } of receiverParts.values()) {
      // Stop retrying first (synchronously), then close, which also ends a connect attempt in progress.
      const stopped = supervisor.stop();
      await receiver.close();
      await stopped;
    }
    await intake?.close();
    await driver?.stop();
    for (const { sink, supervisor, forwarder } of sinkParts.values()) {
      await forwarder.stop();
      const stopped = supervisor.stop();
      await sink.close();
      await stopped;
    }
    await store?.close();
    setPhase('stopped');
  };

  const status = (): GatewayStatus => ({
    gateway: config.gateway.id,
    phase,
    startedMs,
    recovery,
    intake: {
      pending: intake?.pendingCount ?? 0,
      backpressured: intake?.backpressured ?? false,
      lastError: intake?.lastError?.message ?? null,
    },
    commitError: driver?.lastError?.message ?? null,
    diskFull:
      intake?.lastError?.code === 'SLUICE_DISK_FULL' || driver?.lastError?.code === 'SLUICE_DISK_FULL',
    receivers: Object.fromEntries(
      [...receiverParts].map(([id, { supervisor }]) => {
        const counters = intake?.counters.get(id) ?? { records: 0, deadLetters: 0, lastRecordMs: null };
        return [id, { ...supervisor.status, ...counters }];
      }),
    ),
    sinks: Object.fromEntries(
      [...sinkParts].map(([id, { supervisor, forwarder }]) => [
        id,
        { ...supervisor.status, sent: forwarder.sent, outbox: outboxStatus(forwarder.outbox) },
      ]),
    ),
    batches: driver?.stats ?? [],
  });

  const backlog = (): Promise<
    Record<string, { entries: number; bytes: number; oldestMs: number | null }>
  > => {
    const out: Record<string, { entries: number; bytes: number; oldestMs: number | null }> = {};
    for (const [id, { forwarder }] of sinkParts) {
      const { entries, bytes, oldestMs } = outboxStatus(forwarder.outbox);
      out[id] = { entries, bytes, oldestMs };
    }
    return Promise.resolve(out);
  };

  const deadLetters = async (query: { receiver?: string; limit?: number } = {}): Promise<DeadLetter[]> => {
    const out: DeadLetter[] = [];
    if (store === undefined) return out;
    const limit = query.limit ?? 100;
    for await (const value of store.dead.values({ reverse: true })) {
      const letter = value as DeadLetter;
      if (query.receiver !== undefined && letter.receiver !== query.receiver) continue;
      out.push(letter);
      if (out.length >= limit) break;
    }
    return out;
  };

  const results = (pipeline: string, limit = 50): WindowRecord[] =>
    limit <= 0 ? [] : (rings.get(pipeline) ?? []).slice(-limit).reverse();

  const alerts = (limit = 50): AlertHistoryEntry[] => alertBoard.sent(limit);

  const subscribe = (listener: (event: GatewayEvent) => void): (() => void) => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  };

  const silenceChanged = (action: 'created' | 'deleted', silence: Silence): void => {
    emit({ type: 'silence', action, silence });
  };

  return {
    config,
    start,
    stop,
    status,
    backlog,
    deadLetters,
    results,
    alerts,
    alertBoard,
    silenceChanged,
    subscribe,
  };
}

/** A sink's outbox and drain settings; every sink schema spreads sinkCommonShape, a new one may not yet. */
function sinkCommonConfig(sc: SinkConfig): { outbox: OutboxLimits; drain: DrainConfig } {
  const common = sc as Partial<{ outbox: OutboxLimits; drain: DrainConfig }>;
  return {
    outbox: common.outbox ?? outboxLimitsSchema.parse({}),
    drain: common.drain ?? drainSchema.parse({}),
  };
}

function outboxStatus(outbox: Outbox): OutboxStatus {
  const { entries, bytes, oldestKey, dropped } = outbox.counters;
  return {
    entries,
    bytes,
    oldestMs: oldestKey === null ? null : keyTimeMs(oldestKey),
    maxBytes: outbox.limits.maxBytes,
    maxAgeMs: outbox.limits.maxAge,
    onFull: outbox.limits.onFull,
    dropped,
  };
}

function builderFor(id: string, rc: ReceiverConfig) {
  let key;
  if (rc.key !== undefined) {
    const compiled = compileKey(rc.key);
    if (!compiled.ok) {
      throw new SluiceError('SLUICE_EXPRESSION_INVALID', `receivers.${id}.key: ${compiled.error.message}`);
    }
    key = compiled.value;
  }
  return recordBuilder({
    receiver: id,
    // A serial receiver's schema fills its format from its profile (or json): never undefined once parsed.
    format: rc.format ?? 'json',
    ...(rc.columns === undefined ? {} : { columns: rc.columns }),
    ...('header' in rc ? { header: rc.header } : {}),
    ...(key === undefined ? {} : { key }),
    ...(rc.time === undefined ? {} : { time: rc.time }),
    timeFormat: rc.timeFormat,
  });
}

async function createReceiver(
  id: string,
  rc: ReceiverConfig,
  gatewayId: string,
  host: Parameters<ReceiverModule<unknown>['createReceiver']>[2],
): Promise<Receiver> {
  const entry = findReceiver(rc.type);
  if (entry === undefined) throw new SluiceError('SLUICE_INTERNAL', `no receiver type ${rc.type}`);
  const module = (await entry.load()) as Partial<ReceiverModule<ReceiverConfig>>;
  if (typeof module.createReceiver !== 'function') {
    throw new SluiceError('SLUICE_INTERNAL', `receiver module ${rc.type} has no createReceiver`);
  }
  return module.createReceiver(id, rc, host, gatewayId);
}

async function createSink(
  id: string,
  sc: SinkConfig,
  host: Parameters<SinkModule<unknown>['createSink']>[2],
): Promise<Sink> {
  const entry = findSink(sc.type);
  if (entry === undefined) throw new SluiceError('SLUICE_INTERNAL', `no sink type ${sc.type}`);
  const module = (await entry.load()) as Partial<SinkModule<SinkConfig>>;
  if (typeof module.createSink !== 'function') {
    throw new SluiceError('SLUICE_INTERNAL', `sink module ${sc.type} has no createSink`);
  }
  return module.createSink(id, sc, host);
}
