// Pipelined acknowledgements, observed from the broker's side of the socket: the receiver reads ahead while a
// delivery waits for the WAL, hands what it read to the next deliver() in arrival order, sends each PUBACK only
// after its message's deliver() resolved and in arrival order, never one for a refused message or anything after
// it, and stops reading at its bound. A scripted MQTT 3.1.1 server (mqtt-packet) records every PUBACK.
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { afterEach, expect, it } from 'vitest';
import { MqttReceiver } from '../../../../connectors/receivers/mqtt/index.js';
import type { Logger, RawMessage, ReceiverHost } from '../../../../connectors/types.js';
import { receiverConfig, waitForEvent } from './test-host.js';

interface ScriptedBroker {
  url: string;
  /** PUBACK packet ids in the order they arrived. */
  pubacks: number[];
  /** Connections closed so far. */
  closed: number;
  events: EventEmitter;
  /** Sends QoS 1 PUBLISH packets with ids first.. and payloads m<id>, in one write. */
  publish(first: number, count: number): void;
  close(): Promise<void>;
}

async function startScriptedBroker(): Promise<ScriptedBroker> {
  const events = new EventEmitter();
  const sockets = new Set<Socket>();
  const broker: ScriptedBroker = {
    url: '',
    pubacks: [],
    closed: 0,
    events,
    publish(first, count) {
      const bytes = Array.from({ length: count }, (_, i) =>
        mqttPacket.generate({
          cmd: 'publish',
          qos: 1,
          dup: false,
          retain: false,
          messageId: first + i,
          topic: 't',
          payload: Buffer.from(`m${first + i}`),
        }),
      );
      for (const socket of sockets) socket.write(Buffer.concat(bytes));
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
  const server: Server = createServer((socket) => {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      broker.closed += 1;
      events.emit('change');
    });
    parser.on('packet', (packet) => {
      if (packet.cmd === 'connect') {
        socket.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
      } else if (packet.cmd === 'subscribe') {
        sockets.add(socket);
        socket.write(mqttPacket.generate({ cmd: 'suback', messageId: packet.messageId ?? 0, granted: [1] }));
        events.emit('change');
      } else if (packet.cmd === 'puback') {
        broker.pubacks.push(packet.messageId ?? -1);
        events.emit('change');
      } else if (packet.cmd === 'pingreq') {
        socket.write(mqttPacket.generate({ cmd: 'pingresp' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  broker.url = `mqtt://127.0.0.1:${address.port}`;
  return broker;
}

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** A host whose every deliver() waits until the test resolves or rejects it. */
class HeldHost implements ReceiverHost {
  readonly log = silent;
  readonly calls: { payloads: string[]; resolve: () => void; reject: (err: Error) => void }[] = [];
  readonly disconnects: (Error | undefined)[] = [];
  readonly events = new EventEmitter();
  deliver(messages: readonly RawMessage[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.calls.push({ payloads: messages.map((m) => m.payload.toString()), resolve, reject });
      this.events.emit('change');
    });
  }
  disconnected(err?: Error): void {
    this.disconnects.push(err);
    this.events.emit('change');
  }
  savedProgress(): Promise<ReadonlyMap<string, unknown>> {
    return Promise.resolve(new Map());
  }
  call(i: number) {
    const call = this.calls[i];
    if (call === undefined) throw new Error(`no deliver() call ${i}`);
    return call;
  }
}

/** Waits for the receiver's read-ahead count, which has no event: re-checked every few ms, with a timeout. */
async function untilRead(r: MqttReceiver, n: number): Promise<void> {
  const tick = new EventEmitter();
  const poll = setInterval(() => tick.emit('change'), 5);
  try {
    await waitForEvent(tick, 'change', `${n} messages read and not durable`, () => r.undurableMessages === n);
  } finally {
    clearInterval(poll);
  }
}

let broker: ScriptedBroker | undefined;
let receiver: MqttReceiver | undefined;

afterEach(async () => {
  await receiver?.close();
  await broker?.close();
});

const until = (emitters: EventEmitter[], what: string, predicate: () => boolean): Promise<void> => {
  const all = new EventEmitter();
  for (const e of emitters) e.on('change', () => all.emit('change'));
  return waitForEvent(all, 'change', what, predicate);
};

it('reads ahead while a delivery waits, acknowledges in order only what is durable, and nothing from a refused delivery on', async () => {
  const b = (broker = await startScriptedBroker());
  const host = new HeldHost();
  const r = (receiver = new MqttReceiver(
    'pipe',
    receiverConfig({ url: b.url, topics: ['t'], qos: 1 }),
    host,
    'gw',
  ));
  await r.connect();
  b.publish(1, 1);
  await until([host.events], 'the first delivery', () => host.calls.length === 1);
  b.publish(2, 9);
  // Read while the first delivery waits: that is the pipelining. Nothing acknowledged yet.
  await untilRead(r, 10);
  expect(host.calls).toHaveLength(1);
  expect(b.pubacks).toEqual([]);

  host.call(0).resolve();
  // Everything read meanwhile goes to the intake as the next delivery, in arrival order.
  await until([host.events], 'the second delivery', () => host.calls.length === 2);
  expect(host.call(1).payloads).toEqual(['m2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10']);
  await until([b.events], 'the PUBACK of m1', () => b.pubacks.length === 1);

  b.publish(11, 2); // read behind the refused delivery: must not be acknowledged either
  await untilRead(r, 11);
  expect(host.calls).toHaveLength(2);
  host.call(1).reject(new Error('disk full (test)'));
  await until(
    [b.events, host.events],
    'the connection to close',
    () => b.closed === 1 && host.disconnects.length === 1,
  );
  expect(host.disconnects[0]).toMatchObject({ kind: 'deliver' });
  expect(b.pubacks).toEqual([1]);
});

it('sends PUBACKs strictly in arrival order across deliveries', async () => {
  const b = (broker = await startScriptedBroker());
  const host = new HeldHost();
  const r = (receiver = new MqttReceiver(
    'order',
    receiverConfig({ url: b.url, topics: ['t'], qos: 1 }),
    host,
    'gw',
  ));
  await r.connect();
  b.publish(1, 50);
  let expected = 0;
  for (let i = 0; expected < 50; i++) {
    await until([host.events], `delivery ${i}`, () => host.calls.length > i);
    const call = host.call(i);
    expected += call.payloads.length;
    call.resolve();
  }
  await until([b.events], '50 PUBACKs', () => b.pubacks.length === 50);
  expect(b.pubacks).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  expect(host.calls.flatMap((c) => c.payloads)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i + 1}`));
});

it('stops reading at maxUndurable messages read but not durable, and reads on when they are', async () => {
  const b = (broker = await startScriptedBroker());
  const host = new HeldHost();
  const config = receiverConfig({ url: b.url, topics: ['t'], qos: 1 });
  const r = (receiver = new MqttReceiver('bound', config, host, 'gw', { maxUndurable: 3 }));
  await r.connect();
  b.publish(1, 10);
  await until([host.events], 'the first delivery', () => host.calls.length === 1);
  // m1 in delivery, m2 and m3 read, m4 read with its callback held: mqtt.js reads nothing more.
  await untilRead(r, 4);
  host.call(0).resolve();
  await until([host.events], 'the second delivery', () => host.calls.length === 2);
  expect(host.call(1).payloads).toEqual(['m2', 'm3', 'm4']);
  for (let i = 1; host.calls.flatMap((c) => c.payloads).length < 10 || i < host.calls.length; i++) {
    await until([host.events], `delivery ${i}`, () => host.calls.length > i);
    expect(host.call(i).payloads.length).toBeLessThanOrEqual(3);
    host.call(i).resolve();
  }
  await until([b.events], '10 PUBACKs', () => b.pubacks.length === 10);
  expect(b.pubacks).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
});

it('stops reading at maxUndurableBytes of payload read but not durable, and reads on when they are', async () => {
  const b = (broker = await startScriptedBroker());
  const host = new HeldHost();
  const config = receiverConfig({ url: b.url, topics: ['t'], qos: 1 });
  // Payloads m1..m9 are 2 bytes: m1 in delivery (2), m2 read (4), m3 read (6 > 5) with its callback held.
  const r = (receiver = new MqttReceiver('bytes', config, host, 'gw', { maxUndurableBytes: 5 }));
  await r.connect();
  b.publish(1, 9);
  await until([host.events], 'the first delivery', () => host.calls.length === 1);
  await untilRead(r, 3);
  // Held: nothing more is read while the first delivery waits (a negative check: it can only pass falsely).
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(r.undurableMessages).toBe(3);
  host.call(0).resolve();
  await until([host.events], 'the second delivery', () => host.calls.length === 2);
  expect(host.call(1).payloads).toEqual(['m2', 'm3']);
  for (let i = 1; host.calls.flatMap((c) => c.payloads).length < 9 || i < host.calls.length; i++) {
    await until([host.events], `delivery ${i}`, () => host.calls.length > i);
    expect(host.call(i).payloads.length).toBeLessThanOrEqual(3);
    host.call(i).resolve();
  }
  await until([b.events], '9 PUBACKs', () => b.pubacks.length === 9);
  expect(b.pubacks).toEqual(Array.from({ length: 9 }, (_, i) => i + 1));
});
