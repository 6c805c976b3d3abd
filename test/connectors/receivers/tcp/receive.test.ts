// The TCP receiver against real local sockets: lines split anyhow across writes, a server that goes away and
// comes back (the daemon's supervisor reconnects with its backoff), a clean end and a broken connection mid-line,
// malformed lines as dead letters, and server mode with several clients.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  tcpReceiverConfigSchema,
  type TcpReceiverConfig,
} from '../../../../connectors/receivers/tcp/config.js';
import { TcpReceiver } from '../../../../connectors/receivers/tcp/receiver.js';
import { Supervisor } from '../../../../daemon/supervisor.js';
import { freePort } from '../../../support/free-port.js';
import { waitFor } from '../../../support/wait.js';
import { DecodingHost } from '../serial/serial-host.js';

/** A DecodingHost whose disconnected() reports go to a real supervisor, as in the daemon. */
class SupervisedHost extends DecodingHost {
  supervisor: Supervisor | undefined;
  override disconnected(err?: Error): void {
    super.disconnected(err);
    this.supervisor?.disconnected(err);
  }
}

/** A line server a test controls: it keeps its clients so it can write to them, end or reset them. */
class LineServer {
  readonly clients: Socket[] = [];
  private server: Server | undefined;
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const server = createServer((socket) => {
      this.clients.push(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: this.port }, resolve);
    });
    this.server = server;
  }

  /** Goes away: stops listening and resets every client. */
  async stop(): Promise<void> {
    for (const c of this.clients.splice(0)) c.resetAndDestroy();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise((r) => server.close(r));
  }

  write(text: string): Promise<void> {
    const client = this.clients.at(-1);
    if (client === undefined) throw new Error('no client');
    return new Promise((resolve, reject) => {
      client.write(text, (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
  }
}

let receiver: TcpReceiver | undefined;
let supervisor: Supervisor | undefined;
let server: LineServer | undefined;
const cleanups: (() => void)[] = [];

afterEach(async () => {
  const stopped = supervisor?.stop();
  await receiver?.close();
  await stopped;
  await server?.stop();
  for (const c of cleanups.splice(0)) c();
  receiver = undefined;
  supervisor = undefined;
  server = undefined;
});

function config(input: Record<string, unknown>): TcpReceiverConfig {
  return tcpReceiverConfigSchema.parse({ type: 'tcp', ...input });
}

async function supervised(cfg: TcpReceiverConfig): Promise<SupervisedHost> {
  const host = new SupervisedHost('tcp', cfg);
  const r = new TcpReceiver('tcp', cfg, host);
  receiver = r;
  supervisor = new Supervisor('receiver:tcp', () => r.connect(), host.log, { initialMs: 40, maxMs: 200 });
  host.supervisor = supervisor;
  await supervisor.start();
  return host;
}

const values = (host: DecodingHost): unknown[] => host.records.map((r) => r.fields.v);

async function waitForClient(s: LineServer, n = 1): Promise<void> {
  await waitFor(
    `${n} client(s) connected to port ${s.port}`,
    () => (s.clients.length >= n ? true : undefined),
    {
      timeoutMs: 10_000,
    },
  );
}

it('reads lines split across writes, CR LF or LF, and dead-letters a malformed one', async () => {
  const port = await freePort();
  server = new LineServer(port);
  await server.start();
  const host = await supervised(config({ port }));
  await waitForClient(server);
  await server.write('{"v":1}\r\n{"v"');
  await server.write(':2}\nnot json\n{"v":3}\n');
  await host.waitForRecords(3);
  expect(values(host)).toEqual([1, 2, 3]);
  expect(host.dead.map((d) => d.reason)).toEqual([expect.stringMatching(/json/i)]);
  expect(host.records[0]?.topic).toBe(`127.0.0.1:${port}`);
});

it('reconnects with backoff when the server goes away and comes back, losing no line sent before or after', async () => {
  const port = await freePort();
  server = new LineServer(port);
  await server.start();
  const host = await supervised(config({ port }));
  await waitForClient(server);
  await server.write('{"v":1}\n');
  await host.waitForRecords(1);

  await server.stop();
  await host.waitFor('the loss reported', () => host.disconnects.length === 1);
  await waitFor('failed reconnects', () => ((supervisor?.status.failures ?? 0) >= 3 ? true : undefined));
  expect(supervisor?.status.state).toBe('degraded');
  expect(supervisor?.status.lastError?.message).toMatch(/cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/);

  server = new LineServer(port);
  await server.start();
  await waitForClient(server);
  await waitFor('connected again', () => (supervisor?.status.state === 'connected' ? true : undefined));
  await server.write('{"v":2}\n');
  await host.waitForRecords(2);
  expect(values(host)).toEqual([1, 2]);
});

it('takes a last line without a newline on a clean end, and dead-letters one cut off by a reset', async () => {
  const port = await freePort();
  server = new LineServer(port);
  await server.start();
  const host = await supervised(config({ port }));
  await waitForClient(server);
  await server.write('{"v":1}\n{"v":2}');
  server.clients[0]?.end();
  await host.waitForRecords(2);
  await waitForClient(server, 2); // the supervisor connected again
  await server.write('{"v":3}\n{"v":');
  await host.waitForRecords(3);
  server.clients[1]?.resetAndDestroy();
  await host.waitForDead(1);
  expect(values(host)).toEqual([1, 2, 3]);
  expect(host.dead[0]?.reason).toMatch(/^line truncated/);
  expect(host.dead[0]?.payload.toString()).toBe('{"v":');
});

describe('server mode (listen)', () => {
  it('reads lines from several clients, each its own topic', async () => {
    const port = await freePort();
    const host = await supervised(config({ listen: { port }, format: 'kv' }));
    const connect = async (): Promise<Socket> => {
      const socket = createConnection({ host: '127.0.0.1', port });
      await new Promise((r) => socket.once('connect', r));
      cleanups.push(() => socket.destroy());
      return socket;
    };
    const a = await connect();
    const b = await connect();
    a.write('v=1\nv=');
    b.write('v=10\n');
    a.end('2\n');
    await host.waitForRecords(3);
    const byTopic = new Map<string, unknown[]>();
    for (const r of host.records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r.fields.v]);
    expect([...byTopic.values()].sort()).toEqual([[1, 2], [10]]);
    expect([...byTopic.keys()].every((t) => t.startsWith('127.0.0.1:'))).toBe(true);
  });

  it('fails to start with the reason when the port is taken, and retries', async () => {
    const port = await freePort();
    server = new LineServer(port);
    await server.start();
    await supervised(config({ listen: { port } }));
    expect(supervisor?.status.state).toBe('degraded');
    expect(supervisor?.status.lastError?.message).toMatch(/cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    await server.stop();
    server = undefined;
    await waitFor('listening', () => (supervisor?.status.state === 'connected' ? true : undefined));
    expect(receiver?.listeningPort).toBe(port);
  });
});

describe('config', () => {
  it('needs exactly one of port and listen', () => {
    expect(tcpReceiverConfigSchema.safeParse({ type: 'tcp' }).success).toBe(false);
    expect(tcpReceiverConfigSchema.safeParse({ type: 'tcp', port: 1, listen: { port: 2 } }).success).toBe(
      false,
    );
    expect(config({ port: 9999 }).host).toBe('127.0.0.1');
    expect(config({ listen: { port: 9999 } }).listen).toEqual({ port: 9999, host: '127.0.0.1' });
  });
});
