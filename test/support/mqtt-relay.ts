// A TCP relay between an MQTT client under test and a real broker, for faults a broker alone will not stage: the
// relay can swallow everything the client sends (its PUBACKs never reach the broker, as when a connection dies
// with acknowledgements still in flight), counting the MQTT packets it swallowed, and can cut every connection.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface MqttRelay {
  /** mqtt://127.0.0.1:<port> of the relay. */
  readonly url: string;
  /** While true, bytes from clients are dropped instead of reaching the broker. */
  swallowing: boolean;
  /** MQTT packets swallowed so far, by packet type (4: PUBACK, 12: PINGREQ, ...). */
  readonly swallowed: Map<number, number>;
  /** Destroys every open connection on both sides (the broker sees the client go away). */
  cut(): void;
  close(): Promise<void>;
}

/** Counts the complete MQTT packets in a byte stream, by type (fixed header: type nibble, remaining length). */
function packetCounter(counts: Map<number, number>): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      let length = 0;
      let i = 1;
      for (let shift = 0; ; shift += 7, i++) {
        const byte = buf[i];
        if (byte === undefined) return;
        length += (byte & 0x7f) << shift;
        if ((byte & 0x80) === 0) break;
      }
      const end = i + 1 + length;
      if (buf.length < end) return;
      const type = (buf[0] as number) >> 4;
      counts.set(type, (counts.get(type) ?? 0) + 1);
      buf = buf.subarray(end);
    }
  };
}

/** Starts a relay on a free port of 127.0.0.1 to the broker at 127.0.0.1:brokerPort. */
export async function startMqttRelay(brokerPort: number): Promise<MqttRelay> {
  const open = new Set<Socket>();
  const swallowed = new Map<number, number>();
  const relay = {
    url: '',
    swallowing: false,
    swallowed,
    cut(): void {
      for (const socket of open) socket.destroy();
    },
    close(): Promise<void> {
      relay.cut();
      return new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection(brokerPort, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const close = (): void => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    const count = packetCounter(swallowed);
    client.on('data', (chunk: Buffer) => {
      if (relay.swallowing) count(chunk);
      else upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the relay has no port');
  relay.url = `mqtt://127.0.0.1:${address.port}`;
  return relay;
}
