// Pipelined acknowledgements for one MQTT connection: mqtt.js reads on while earlier messages are still on their
// way into the write-ahead log, but each PUBACK (QoS 1) or PUBREC (QoS 2) goes out only once its message is
// durable, and strictly in the order the PUBLISH packets arrived (MQTT 3.1.1 §4.6, MQTT 5 §4.6).
//
// The hook, read in node_modules/mqtt/build/lib (mqtt.js 5.16.0):
// - handlers/publish.js:96-116, QoS 1: `client.handleMessage(packet, cb)`; in `cb`:
//   `client['_sendPacket']({ cmd: 'puback', messageId, reasonCode }, done)` (line 115), where `done` releases the
//   next packet (client.js:330-360, `work`/`nextTickWork`). PUBACK and reading on are one call.
// - handlers/publish.js:70-94, QoS 2: in customHandleAcks' callback, `incomingStore.put(packet, () =>
//   client['_sendPacket']({ cmd: 'pubrec', messageId }, done))` (lines 89-91): PUBREC and reading on, likewise.
// - client.js:1097-1111 `_writePacket(packet, cb)` emits 'packetsend' and writes the packet with mqtt-packet's
//   writeToStream; client.js:1113-1154 `_sendPacket` writes PUBACK/PUBREC that way (the `default:` case) while
//   connected, and stores them for the NEXT connection while not (the reason nothing here goes through it late).
// mqtt.js 5.16 has no public way to acknowledge later (customHandleAcks only chooses a reason code, and its
// callback sends at once), so this wraps `_sendPacket` on the one client instance:
// - PUBACK: every QoS 1 message of this client is ours to acknowledge (the receiver takes each one in
//   handleMessage), so mqtt.js's own PUBACK is dropped and its `done` called at once (mqtt.js reads on). We write
//   the PUBACKs ourselves once their messages are durable: the 4 bytes 0x40 0x02 <id>, all those due in one
//   socket write (MQTT 5 allows this short form for reason code 0 without properties, §3.4.2.1). Per message
//   that is no packet object, no closure and no cork/uncork round through mqtt-packet: most of what mqtt.js
//   spent per PUBACK.
// - PUBREC: parked and written through the original `_sendPacket` when its turn comes, and only after mqtt.js
//   tried to send it (it has then stored the message for the PUBREL that follows).
// Every other packet passes straight through.

/** The fields of an outgoing mqtt.js packet the hook looks at. */
interface OutgoingPacket {
  cmd: string;
  messageId?: number;
}

type SendPacket = (
  packet: OutgoingPacket,
  cb?: (err?: Error) => void,
  cbStorePut?: () => void,
  noStore?: boolean,
) => void;

/** The parts of an mqtt.js client the queue uses. */
interface HookedClient {
  _sendPacket: SendPacket;
  connected: boolean;
  stream?: { write(chunk: Buffer): boolean; destroyed?: boolean } | undefined;
}

/** What a message needs once it is durable. */
const NONE = 0; // QoS 0
const PUBACK = 1;
const PUBREC = 2;

/**
 * Acknowledgements of one connection, in arrival order, each released once its message is durable. Messages are
 * positions in a ring (typed arrays: nothing allocated per message); deliveries become durable in arrival order,
 * so durability is a count.
 */
export class AckQueue {
  #kinds = new Uint8Array(1024);
  #ids = new Uint16Array(1024);
  #mask = 1023;
  /** Positions (counted from 0 since the connection began): [head, durable) durable and waiting for their turn,
   * [durable, tail) not yet durable. */
  #head = 0;
  #durable = 0;
  #tail = 0;
  /** QoS 2 messages whose PUBREC mqtt.js has not tried to send yet: packet id → position. */
  readonly #awaitingRec = new Map<number, number>();
  /** PUBRECs mqtt.js tried to send, by position. */
  readonly #parkedRec = new Map<number, () => void>();
  #client: HookedClient | undefined;
  #open = true;

  /**
   * Takes over PUBACK/PUBREC on `client` (a fresh mqtt.js client of this connection only). Call before the client
   * connects.
   */
  hook(client: object): void {
    const internals = client as HookedClient;
    this.#client = internals;
    const send = internals._sendPacket.bind(client);
    internals._sendPacket = (packet, cb, cbStorePut, noStore) => {
      if (packet.cmd === 'puback') {
        // Ours to send (see the header); read on at once.
        cb?.();
        return;
      }
      const id = packet.messageId;
      const pos = packet.cmd === 'pubrec' && id !== undefined ? this.#awaitingRec.get(id) : undefined;
      if (pos === undefined) {
        send(packet, cb, cbStorePut, noStore);
        return;
      }
      this.#awaitingRec.delete(id as number);
      this.#parkedRec.set(pos, () => {
        send(packet, undefined, cbStorePut, noStore);
      });
      // Read on at once: the acknowledgement itself waits for durability.
      cb?.();
      this.flush();
    };
  }

  /** Registers a message just read; its acknowledgement (if any) is held until it is durable. */
  add(qos: number, messageId: number | undefined): void {
    if (this.#tail - this.#head > this.#mask) this.#grow();
    const pos = this.#tail++;
    const valid = messageId !== undefined && messageId > 0 && messageId <= 0xffff;
    const kind = !valid || qos === 0 ? NONE : qos === 1 ? PUBACK : PUBREC;
    this.#kinds[pos & this.#mask] = kind;
    this.#ids[pos & this.#mask] = valid ? messageId : 0;
    if (kind === PUBREC) this.#awaitingRec.set(messageId as number, pos);
  }

  /** The next `count` messages (in arrival order) are in the write-ahead log: send every acknowledgement whose
   * turn has come. */
  durable(count: number): void {
    this.#durable = Math.min(this.#tail, this.#durable + count);
    this.flush();
  }

  /** Sends, in arrival order, the acknowledgements of the durable messages at the front of the queue. */
  flush(): void {
    const client = this.#client;
    if (!this.#open || client === undefined || !client.connected) return;
    const stream = client.stream;
    if (stream === undefined || stream.destroyed === true) return;
    const kinds = this.#kinds;
    const ids = this.#ids;
    const mask = this.#mask;
    let out: Buffer | undefined;
    let n = 0;
    let pos = this.#head;
    for (; pos < this.#durable; pos++) {
      const kind = kinds[pos & mask];
      if (kind === PUBACK) {
        out ??= Buffer.allocUnsafe(4 * (this.#durable - pos));
        const id = ids[pos & mask] ?? 0;
        out[n] = 0x40;
        out[n + 1] = 0x02;
        out[n + 2] = id >> 8;
        out[n + 3] = id & 0xff;
        n += 4;
      } else if (kind === PUBREC) {
        const send = this.#parkedRec.get(pos);
        if (send === undefined) break; // mqtt.js has not got to it yet (its callback is held)
        if (out !== undefined && n > 0) stream.write(out.subarray(0, n));
        out = undefined;
        n = 0;
        this.#parkedRec.delete(pos);
        send();
      }
    }
    if (out !== undefined && n > 0) stream.write(out.subarray(0, n));
    this.#head = pos;
  }

  /** Messages read and not yet acknowledged (or, at QoS 0, not yet durable). */
  get size(): number {
    return this.#tail - this.#head;
  }

  /** The connection is gone or failed: nothing more is ever sent on it (the broker redelivers the rest). */
  close(): void {
    this.#open = false;
    this.#awaitingRec.clear();
    this.#parkedRec.clear();
  }

  #grow(): void {
    const mask = this.#mask;
    const size = (mask + 1) * 2;
    const kinds = new Uint8Array(size);
    const ids = new Uint16Array(size);
    for (let pos = this.#head; pos < this.#tail; pos++) {
      kinds[pos & (size - 1)] = this.#kinds[pos & mask] ?? NONE;
      ids[pos & (size - 1)] = this.#ids[pos & mask] ?? 0;
    }
    this.#kinds = kinds;
    this.#ids = ids;
    this.#mask = size - 1;
  }
}
