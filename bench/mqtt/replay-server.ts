// A TCP server speaking just enough MQTT 3.1.1 to feed one subscriber as fast as it acknowledges: CONNACK,
// SUBACK, pre-encoded QoS 1 PUBLISH packets with at most `window` unacknowledged (like a broker's
// max_inflight_messages), counting PUBACKs. Measures the consumer, not a broker.
import { createServer, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

export interface ReplayServer {
  readonly url: string;
  /** Starts sending to the subscribed client; resolves with the ms from now until the last PUBACK. */
  run(): Promise<number>;
  close(): Promise<void>;
}

export async function startReplayServer(packets: readonly Buffer[], window: number): Promise<ReplayServer> {
  let client: Socket | undefined;
  let onSubscribed: (() => void) | undefined;
  let sent = 0;
  let acked = 0;
  let finish: (() => void) | undefined;
  const pump = (): void => {
    if (client === undefined) return;
    const end = Math.min(packets.length, acked + window);
    if (end - sent < Math.min(64, Math.ceil(window / 2)) && end < packets.length) return; // write in chunks
    if (end > sent) client.write(Buffer.concat(packets.slice(sent, end)));
    sent = end;
  };
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    parser.on('packet', (packet) => {
      if (packet.cmd === 'connect') {
        socket.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
      } else if (packet.cmd === 'subscribe') {
        socket.write(mqttPacket.generate({ cmd: 'suback', messageId: packet.messageId ?? 0, granted: [1] }));
        client = socket;
        onSubscribed?.();
      } else if (packet.cmd === 'puback') {
        acked += 1;
        if (acked === packets.length) finish?.();
        else pump();
      } else if (packet.cmd === 'pingreq') {
        socket.write(mqttPacket.generate({ cmd: 'pingresp' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('replay server has no port');
  return {
    url: `mqtt://127.0.0.1:${address.port}`,
    async run() {
      if (client === undefined) await new Promise<void>((r) => (onSubscribed = r));
      const done = new Promise<void>((r) => (finish = r));
      const started = performance.now();
      pump();
      await done;
      return performance.now() - started;
    },
    close() {
      client?.destroy();
      return new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
