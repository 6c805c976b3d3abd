// A local webhook receiver for tests (node:http on a free port): verifies every request's Standard Webhooks
// signature on its own (its own HMAC, not the sink's code) and answers as the test scripts it: 2xx, 500, 429
// with Retry-After, a redirect, 400, or no answer at all.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Answer =
  { status: number; headers?: Record<string, string> } | { hang: true } | { redirectTo: string };

export interface Received {
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The signature checked out against the secret, independently of the sink. */
  verified: boolean;
  /** What the server answered. */
  answer: Answer;
}

export interface WebhookServer {
  readonly url: string;
  readonly received: Received[];
  /** Answers for the next requests, in order; when none is left: 200. */
  script(...answers: Answer[]): void;
  close(): Promise<void>;
}

/** Verifies a Standard Webhooks signature the way a receiver would (as docs/alerts.md shows). */
export function verify(secret: string, id: string, timestamp: string, body: string, header: string): boolean {
  const key = secret.startsWith('whsec_')
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret, 'utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return header.split(' ').some((part) => {
    const [version, signature] = part.split(',');
    if (version !== 'v1' || signature === undefined) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export async function startWebhookServer(secret: string): Promise<WebhookServer> {
  const received: Received[] = [];
  const answers: Answer[] = [];
  const hanging = new Set<ServerResponse>();
  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const header = (name: string): string => {
      const value = req.headers[name];
      return typeof value === 'string' ? value : '';
    };
    const answer = answers.shift() ?? { status: 200 };
    const id = header('webhook-id');
    const timestamp = header('webhook-timestamp');
    const signature = header('webhook-signature');
    received.push({
      path: req.url ?? '',
      id,
      timestamp,
      signature,
      body,
      verified: verify(secret, id, timestamp, body, signature),
      answer,
    });
    if ('hang' in answer) {
      hanging.add(res);
      return;
    }
    if ('redirectTo' in answer) {
      res.writeHead(302, { location: answer.redirectTo }).end();
      return;
    }
    res.writeHead(answer.status, answer.headers).end();
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/sluice`,
    received,
    script: (...next) => answers.push(...next),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
