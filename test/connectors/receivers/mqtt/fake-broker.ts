// A scripted MQTT server speaking just enough MQTT 3.1.1/5 (CONNECT → CONNACK, SUBSCRIBE → SUBACK, PINGREQ →
// PINGRESP, server DISCONNECT) to provoke answers a real Mosquitto 2.0.11 will not give: a refused subscription
// (its acl_file never refuses one), a CONNACK refusal code, silence, an MQTT 5 DISCONNECT with a reason code.
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

export interface FakeBrokerScript {
  /** CONNACK return/reason code, or 'silent' to never answer CONNECT. Default: 0 (accepted). */
  connack?: number | 'silent';
  /** SUBACK code per topic filter. Default: the requested QoS. */
  suback?: (topic: string, requestedQos: number) => number;
}

export interface FakeBroker {
  readonly url: string;
  /** Connections open right now. */
  readonly open: number;
  /** Emits 'change' whenever a connection opens or closes. */
  readonly events: EventEmitter;
  /** MQTT 5: sends DISCONNECT with this reason code on every open connection, then closes them. */
  disconnectAll(reasonCode: number): void;
  close(): Promise<void>;
}

/** Splits complete MQTT packets off the front of buf: [type, body] pairs and the unparsed rest. */
function splitPackets(buf: Buffer): { packets: [number, Buffer][]; rest: Buffer } {
  const packets: [number, Buffer][] = [];
  let offset = 0;
  for (;;) {
    let length = 0;
    let multiplier = 1;
    let pos = offset + 1;
    let complete = false;
    while (pos < buf.length) {
      const byte = buf[pos++] ?? 0;
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if ((byte & 0x80) === 0) {
        complete = true;
        break;
      }
    }
    if (!complete || pos + length > buf.length) break;
    packets.push([(buf[offset] ?? 0) >> 4, buf.subarray(pos, pos + length)]);
    offset = pos + length;
  }
  return { packets, rest: buf.subarray(offset) };
}

/** Reads a variable byte integer at body[pos]: [value, next position]. */
function varint(body: Buffer, pos: number): [number, number] {
  let value = 0;
  let multiplier = 1;
  for (;;) {
    const byte = body[pos++] ?? 0;
    value += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) return [value, pos];
  }
}

function packet(type: number, body: number[]): Buffer {
  if (body.length > 127) throw new Error('fake broker packets stay short');
  return Buffer.from([type, body.length, ...body]);
}

export async function startFakeBroker(script: FakeBrokerScript = {}): Promise<FakeBroker> {
  const sockets = new Map<Socket, { version: number }>();
  const events = new EventEmitter();
  const server: Server = createServer((socket) => {
    const state = { version: 4 };
    sockets.set(socket, state);
    events.emit('change');
    let pending: Buffer = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      events.emit('change');
    });
    socket.on('data', (chunk: Buffer) => {
      const { packets, rest } = splitPackets(Buffer.concat([pending, chunk]));
      pending = rest;
      for (const [type, body] of packets) {
        if (type === 1) {
          // CONNECT: protocol name (2-byte length + "MQTT"), then the protocol level.
          state.version = body[2 + body.readUInt16BE(0)] ?? 4;
          if (script.connack === 'silent') continue;
          const code = script.connack ?? 0;
          socket.write(state.version === 5 ? packet(0x20, [0, code, 0]) : packet(0x20, [0, code]));
        } else if (type === 8) {
          // SUBSCRIBE: packet id, (MQTT 5: properties), then topic filters with their options byte.
          let pos = 2;
          if (state.version === 5) {
            const [propertiesLength, next] = varint(body, pos);
            pos = next + propertiesLength;
          }
          const codes: number[] = [];
          while (pos < body.length) {
            const topicLength = body.readUInt16BE(pos);
            const topic = body.subarray(pos + 2, pos + 2 + topicLength).toString();
            const qos = (body[pos + 2 + topicLength] ?? 0) & 0x03;
            codes.push(script.suback?.(topic, qos) ?? qos);
            pos += 3 + topicLength;
          }
          const id = [body[0] ?? 0, body[1] ?? 0];
          socket.write(packet(0x90, state.version === 5 ? [...id, 0, ...codes] : [...id, ...codes]));
        } else if (type === 12) {
          socket.write(packet(0xd0, []));
        } else if (type === 14) {
          socket.end();
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake broker has no port');
  return {
    url: `mqtt://127.0.0.1:${address.port}`,
    get open() {
      return sockets.size;
    },
    events,
    disconnectAll(reasonCode) {
      for (const socket of sockets.keys()) socket.end(packet(0xe0, [reasonCode, 0]));
    },
    close() {
      for (const socket of sockets.keys()) socket.destroy();
      return new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
