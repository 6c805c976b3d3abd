// Builds a gateway from a validated config and returns { start, stop, status }: the store, the intake, the
// pipeline graph and its driver, a supervisor per connector, a forwarder per sink. No process concerns here
// (main.ts has those), so tests run whole gateways in-process.
import { findReceiver, findSink } from '../connectors/registry.js';
import type { Logger, Receiver, ReceiverModule, Sink, SinkModule } from '../connectors/types.js';
import { compileKey } from '../operators/expressions/index.js';
import type { Config, ReceiverConfig, SinkConfig } from './config/schema.js';
import { Driver, type BatchStats, type DriverOptions, type RecoveryReport } from './driver.js';
import { SluiceError } from './errors.js';
import { Forwarder } from './forwarder.js';
import type { DeadLetter } from './intake/dead-letter.js';
import { Intake, type IntakeOptions } from './intake/intake.js';
import { recordBuilder } from './intake/record.js';
import { compilePipelines } from './pipelines/compile.js';
import { Store } from './store/store.js';
import { Supervisor, type BackoffOptions, type ConnectorStatus } from './supervisor.js';

export interface GatewayOptions {
  log: Logger;
  intake?: IntakeOptions;
  driver?: DriverOptions;
  backoff?: BackoffOptions;
}

export interface GatewayStatus {
  gateway: string;
  startedMs: number;
  recovery: RecoveryReport | null;
  intake: { pending: number; backpressured: boolean; lastError: string | null };
  commitError: string | null;
  receivers: Record<
    string,
    ConnectorStatus & { records: number; deadLetters: number; lastRecordMs: number | null }
  >;
  sinks: Record<string, ConnectorStatus & { sent: number }>;
  batches: readonly BatchStats[];
}

export interface Gateway {
  start(): Promise<RecoveryReport>;
  stop(): Promise<void>;
  status(): GatewayStatus;
  /** Outbox backlog per sink. */
  backlog(): Promise<Record<string, { entries: number; bytes: number }>>;
  /** The newest dead letters first, optionally of one receiver. */
  deadLetters(options?: { receiver?: string; limit?: number }): Promise<DeadLetter[]>;
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

  const start = async (): Promise<RecoveryReport> => {
    store = await Store.open(config.state.dir, config.state.durability);
    const activeStore = store;
    const activeIntake = new Intake(activeStore, options.intake);
    intake = activeIntake;
    for (const [id, rc] of Object.entries(config.receivers)) activeIntake.addReceiver(id, builderFor(id, rc));
    const graph = compilePipelines(config, { now: options.driver?.now ?? Date.now });
    driver = new Driver(activeStore, activeIntake, graph, log, options.driver);
    recovery = await driver.recover();
    log.info({ ...recovery }, 'state recovered');

    for (const [id, sc] of Object.entries(config.sinks)) {
      const sink = await createSink(id, sc, {
        log,
        durability: config.state.durability,
        disconnected: (err) => {
          sinkParts.get(id)?.supervisor.disconnected(err);
        },
      });
      const supervisor = new Supervisor(`sink:${id}`, () => sink.connect(), log, options.backoff);
      const forwarder = new Forwarder(id, sink, activeStore, supervisor, log);
      sinkParts.set(id, { sink, supervisor, forwarder });
      forwarder.start();
      await supervisor.start();
    }
    driver.onCommit((sinks) => {
      for (const id of sinks) sinkParts.get(id)?.forwarder.wake();
    });
    driver.start();
    for (const [id, rc] of Object.entries(config.receivers)) {
      const receiver = await createReceiver(id, rc, config.gateway.id, {
        log,
        deliver: (messages) => activeIntake.deliver(id, messages),
        disconnected: (err) => {
          receiverParts.get(id)?.supervisor.disconnected(err);
        },
      });
      const supervisor = new Supervisor(`receiver:${id}`, () => receiver.connect(), log, options.backoff);
      receiverParts.set(id, { receiver, supervisor });
      await supervisor.start();
    }
    return recovery;
  };

  const stop = async (): Promise<void> => {
    for (const { receiver, supervisor } of receiverParts.values()) {
      await supervisor.stop();
      await receiver.close();
    }
    await intake?.close();
    await driver?.stop();
    for (const { sink, supervisor, forwarder } of sinkParts.values()) {
      await forwarder.stop();
      await supervisor.stop();
      await sink.close();
    }
    await store?.close();
  };

  const status = (): GatewayStatus => ({
    gateway: config.gateway.id,
    startedMs,
    recovery,
    intake: {
      pending: intake?.pendingCount ?? 0,
      backpressured: intake?.backpressured ?? false,
      lastError: intake?.lastError?.message ?? null,
    },
    commitError: driver?.lastError?.message ?? null,
    receivers: Object.fromEntries(
      [...receiverParts].map(([id, { supervisor }]) => {
        const counters = intake?.counters.get(id) ?? { records: 0, deadLetters: 0, lastRecordMs: null };
        return [id, { ...supervisor.status, ...counters }];
      }),
    ),
    sinks: Object.fromEntries(
      [...sinkParts].map(([id, { supervisor, forwarder }]) => [
        id,
        { ...supervisor.status, sent: forwarder.sent },
      ]),
    ),
    batches: driver?.stats ?? [],
  });

  const backlog = async (): Promise<Record<string, { entries: number; bytes: number }>> => {
    const out: Record<string, { entries: number; bytes: number }> = {};
    for (const [id, { forwarder }] of sinkParts) {
      const { entries, bytes } = await forwarder.backlog();
      out[id] = { entries, bytes };
    }
    return out;
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

  return { start, stop, status, backlog, deadLetters };
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
    format: rc.format,
    ...(rc.columns === undefined ? {} : { columns: rc.columns }),
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
