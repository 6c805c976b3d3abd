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
// - client.js:1097-1111 `_writePacket(packet, cb)` calls `cb` once the packet is handed to the stream; client.js:
//   1113-1154 `_sendPacket` writes PUBACK/PUBREC directly (the `default:` case) while connected.
// mqtt.js 5.16 has no public way to acknowledge later (customHandleAcks only chooses a reason code, and its
// callback sends at once), so this wraps `_sendPacket` on the one client instance: a PUBACK/PUBREC for a message
// we hold is parked, and its `done` called at once, so mqtt.js reads the next packet; the parked packet is
// written through the original `_sendPacket` when its turn comes. Every other packet passes straight through.

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

/** One message read from the broker and not yet acknowledged. */
interface Entry {
  /** QoS 1/2: a PUBACK/PUBREC must go out for it; QoS 0: nothing to send. */
  readonly needsAck: boolean;
  durable: boolean;
  /** Writes the parked PUBACK/PUBREC (set when mqtt.js tried to send it). */
  send: (() => void) | undefined;
}

/** Acknowledgements of one connection, in arrival order, each released once its message is durable. */
export class AckQueue {
  readonly #entries: Entry[] = [];
  #head = 0;
  /** Messages whose PUBACK/PUBREC mqtt.js has not tried to send yet, by packet id (1..65535). A flat table, not
   * a Map: a Map churning between empty and a thousand entries reallocates its hash table over and over, and
   * under load those tables outlive young-generation GCs (most of the receiver's promoted garbage). */
  #awaiting: (Entry | undefined)[] = new Array<Entry | undefined>(65536).fill(undefined);
  #open = true;

  /**
   * Parks PUBACK/PUBREC of held messages on `client` (a fresh mqtt.js client of this connection only). Call before
   * the client connects.
   */
  hook(client: object): void {
    const internals = client as { _sendPacket: SendPacket };
    const send = internals._sendPacket.bind(client);
    internals._sendPacket = (packet, cb, cbStorePut, noStore) => {
      const id = packet.messageId;
      const entry =
        (packet.cmd === 'puback' || packet.cmd === 'pubrec') && id !== undefined
          ? this.#awaiting[id]
          : undefined;
      if (entry === undefined || id === undefined) {
        send(packet, cb, cbStorePut, noStore);
        return;
      }
      this.#awaiting[id] = undefined;
      entry.send = () => {
        send(packet, undefined, cbStorePut, noStore);
      };
      // Read on at once: the acknowledgement itself waits for durability.
      cb?.();
      this.flush();
    };
  }

  /** Registers a message just read; its acknowledgement (if any) is held until it is durable. */
  add(qos: number, messageId: number | undefined): Entry {
    const entry: Entry = { needsAck: qos > 0, durable: false, send: undefined };
    this.#entries.push(entry);
    if (entry.needsAck && messageId !== undefined && messageId >= 0 && messageId < this.#awaiting.length) {
      this.#awaiting[messageId] = entry;
    }
    return entry;
  }

  /** These messages are in the write-ahead log: send every acknowledgement whose turn has come. */
  durable(entries: readonly Entry[]): void {
    for (const entry of entries) entry.durable = true;
    this.flush();
  }

  /** Sends, in arrival order, the acknowledgements of the durable messages at the front of the queue. */
  flush(): void {
    if (!this.#open) return;
    const entries = this.#entries;
    while (this.#head < entries.length) {
      const entry = entries[this.#head];
      if (entry === undefined || !entry.durable) break;
      if (entry.needsAck) {
        if (entry.send === undefined) break; // mqtt.js has not got to it yet (its callback is held)
        entry.send();
      }
      this.#head += 1;
    }
    if (this.#head > 1024 && this.#head * 2 > entries.length) {
      entries.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Messages read and not yet acknowledged (or, at QoS 0, not yet durable). */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** The connection is gone or failed: nothing more is ever sent on it (the broker redelivers the rest). */
  close(): void {
    this.#open = false;
    this.#awaiting = [];
  }
}

export type AckEntry = ReturnType<AckQueue['add']>;
