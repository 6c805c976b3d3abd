// The TCP receiver: lines from a TCP socket, as Spark's socketTextStream. In client mode it connects to
// host:port, and when the connection drops it reports it and the supervisor reconnects with its jittered backoff.
// In server mode (`listen`) it accepts any number of clients and reads lines from each.
//
// TCP has no acknowledgement of its own: a line is the intake's once deliver() resolves. One delivery at a time;
// while it is pending every socket is paused, so TCP flow control holds the senders back (backpressure).
// A last line without a newline is taken when the peer ends the stream cleanly, and dead-lettered (truncated)
// when the connection breaks.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { lineFramer } from '../../../hardware/framing/line.js';
import type { Framer } from '../../../hardware/framing/types.js';
import type { RawMessage, Receiver, ReceiverHost } from '../../types.js';
import { frameMessage } from '../frame-message.js';
import type { TcpReceiverConfig } from './config.js';

export class TcpReceiverError extends Error {
  override readonly name = 'TcpReceiverError';
}

/** One socket and its framer; the topic names its peer. */
interface Peer {
  socket: Socket;
  framer: Framer;
  topic: string;
}

export class TcpReceiver implements Receiver {
  readonly #config: TcpReceiverConfig;
  readonly #host: ReceiverHost;
  /** Client mode: the connection; server mode: the accepted clients. */
  readonly #peers = new Set<Peer>();
  #server: Server | undefined;
  /** Lines read and not yet handed to the intake: kept across reconnects. */
  #queue: RawMessage[] = [];
  #delivering = false;
  #closed = false;

  constructor(
    readonly id: string,
    config: TcpReceiverConfig,
    host: ReceiverHost,
  ) {
    this.#config = config;
    this.#host = host;
  }

  /** Connected clients (server mode) or 1 while connected (client mode). */
  get peers(): number {
    return this.#peers.size;
  }

  /** The port the server listens on (server mode; with listen.port it is that port). */
  get listeningPort(): number | undefined {
    const address = this.#server?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new TcpReceiverError('the receiver is closed');
    for (const peer of this.#peers) peer.socket.destroy();
    this.#peers.clear();
    if (this.#config.listen === undefined) await this.#dial();
    else await this.#listen(this.#config.listen);
    // Lines the intake refused before go first.
    this.#deliverNext();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const peer of this.#peers) peer.socket.destroy();
    this.#peers.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  }

  /** Client mode: one attempt to connect to host:port. */
  #dial(): Promise<void> {
    const { host } = this.#config;
    const port = this.#config.port ?? 0;
    const where = `${host}:${String(port)}`;
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port });
      socket.setKeepAlive(true, 30_000);
      const failed = (err: Error): void => {
        socket.destroy();
        reject(new TcpReceiverError(`cannot connect to ${where}: ${err.message}`, { cause: err }));
      };
      // A host that drops the SYN would otherwise hold the attempt for the kernel's minutes.
      const timer = setTimeout(() => {
        failed(new Error(`no answer within ${String(this.#config.connectTimeout)} ms`));
      }, this.#config.connectTimeout);
      socket.once('error', (err) => {
        clearTimeout(timer);
        failed(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        if (this.#closed) {
          socket.destroy();
          reject(new TcpReceiverError('the receiver was closed while connecting'));
          return;
        }
        this.#host.log.info({ receiver: this.id, peer: where }, 'tcp connected');
        this.#attach(socket, where, (err) => {
          this.#host.log.warn({ receiver: this.id, peer: where, err }, 'tcp connection lost');
          this.#host.disconnected(err);
        });
        resolve();
      });
    });
  }

  /** Server mode: listen, and take every client that connects. */
  #listen(listen: NonNullable<TcpReceiverConfig['listen']>): Promise<void> {
    const previous = this.#server;
    this.#server = undefined;
    previous?.close();
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => {
        const topic = `${socket.remoteAddress ?? '?'}:${String(socket.remotePort ?? 0)}`;
        this.#host.log.info({ receiver: this.id, peer: topic }, 'tcp client connected');
        this.#attach(socket, topic, (err) => {
          this.#host.log.info({ receiver: this.id, peer: topic, err }, 'tcp client gone');
        });
      });
      const failed = (err: Error): void => {
        server.close();
        reject(
          new TcpReceiverError(`cannot listen on ${listen.host}:${String(listen.port)}: ${err.message}`, {
            cause: err,
          }),
        );
      };
      server.once('error', failed);
      server.listen({ host: listen.host, port: listen.port }, () => {
        server.off('error', failed);
        if (this.#closed) {
          server.close();
          reject(new TcpReceiverError('the receiver was closed while connecting'));
          return;
        }
        this.#server = server;
        server.on('error', (err) => {
          if (this.#server !== server) return;
          this.#server = undefined;
          server.close();
          this.#host.disconnected(err);
        });
        this.#host.log.info({ receiver: this.id, host: listen.host, port: listen.port }, 'tcp listening');
        resolve();
      });
    });
  }

  /** Reads lines from a socket until it ends; `gone` reports how it ended (client mode: a lost connection). */
  #attach(socket: Socket, topic: string, gone: (err: Error) => void): void {
    const peer: Peer = {
      socket,
      topic,
      framer: lineFramer({ eol: 'lf', maxLength: this.#config.maxLineLength, skipEmpty: true }),
    };
    this.#peers.add(peer);
    if (this.#delivering) socket.pause();
    let cleanEnd = false;
    let error: Error | undefined;
    socket.on('data', (chunk: Buffer) => {
      this.#take(peer, peer.framer.push(chunk));
    });
    socket.on('end', () => {
      // A clean end: the peer finished its last line, newline or not.
      cleanEnd = true;
      this.#take(peer, peer.framer.bufferedBytes > 0 ? peer.framer.push(Buffer.from('\n')) : []);
    });
    socket.on('error', (err) => {
      error = err;
    });
    socket.on('close', () => {
      if (!this.#peers.delete(peer)) return; // closed by us
      // Broken off mid-line: the piece is a truncated line, a dead letter, not lost silently.
      if (!cleanEnd) this.#take(peer, peer.framer.flush());
      gone(
        new TcpReceiverError(
          `${topic} ${error === undefined ? 'closed the connection' : `connection failed: ${error.message}`}`,
          { cause: error },
        ),
      );
    });
  }

  #take(peer: Peer, frames: ReturnType<Framer['push']>): void {
    if (frames.length === 0) return;
    const now = Date.now();
    for (const frame of frames) this.#queue.push(frameMessage(frame, peer.topic, now));
    this.#deliverNext();
  }

  #deliverNext(): void {
    if (this.#delivering || this.#queue.length === 0 || this.#closed) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#delivering = true;
    for (const peer of this.#peers) peer.socket.pause();
    this.#host.deliver(batch).then(
      () => {
        this.#delivering = false;
        if (this.#queue.length > 0) {
          this.#deliverNext();
          return;
        }
        for (const peer of this.#peers) peer.socket.resume();
      },
      (err: unknown) => {
        this.#delivering = false;
        // Kept for the next attempt: a socket has no redelivery. The connections end until the intake takes them.
        this.#queue = [...batch, ...this.#queue];
        this.#host.log.warn({ receiver: this.id, err, held: this.#queue.length }, 'intake refused tcp lines');
        const reason = new TcpReceiverError('the intake refused lines (disk full?)', { cause: err });
        for (const peer of this.#peers) peer.socket.destroy();
        this.#peers.clear();
        this.#server?.close();
        this.#server = undefined;
        this.#host.disconnected(reason);
      },
    );
  }
}
