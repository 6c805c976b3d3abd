// GET /api/v1/events: server-sent events. Every connected client gets the gateway's events (batch completed,
// receiver and sink state changes, phase changes) and a heartbeat; a client that goes away is dropped at once.
import type { ServerResponse } from 'node:http';
import type { GatewayEvent } from '../app.js';

export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;

  /** heartbeatMs: how often an idle stream gets a heartbeat event (default 15 s). */
  constructor(private readonly heartbeatMs = 15_000) {}

  get size(): number {
    return this.clients.size;
  }

  /** Takes over a response: writes the SSE headers and keeps it until the client disconnects or close(). */
  add(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    this.clients.add(res);
    const drop = (): void => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopHeartbeat();
    };
    res.on('close', drop);
    res.on('error', drop);
    this.heartbeat ??= setInterval(() => {
      this.send('heartbeat', { ms: Date.now() });
    }, this.heartbeatMs);
    this.heartbeat.unref();
    this.send('hello', { ms: Date.now() }, res);
  }

  publish(event: GatewayEvent): void {
    const { type, ...data } = event;
    this.send(type, data);
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    this.stopHeartbeat();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private send(event: string, data: unknown, only?: ServerResponse): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of only === undefined ? this.clients : [only]) {
      if (!res.writableEnded) res.write(frame);
    }
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
