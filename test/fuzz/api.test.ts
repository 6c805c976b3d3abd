// Bad API requests (issue #7), beyond test/daemon/api/security.test.ts (tokens, body limits, media types, the
// host guard): random and path-traversal ids in every route with an id, random query values and random bodies,
// sent raw over a socket so nothing normalises them. Every answer is a JSON 4xx (or the 2xx a valid request
// gets), never a 5xx, never a file from outside the dashboard, and the gateway keeps running.
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from '../daemon/api/harness.js';

const TOKEN = 'fuzz-token-0123456789-abcdefghijklmnop';
let h: Harness;

beforeAll(async () => {
  h = await startHarness('api: { token: "${T}" }\n', { T: TOKEN });
});

afterAll(async () => {
  await h.close();
});

function raw(
  method: string,
  path: string,
  body?: string | Buffer,
  contentType = 'application/json',
): Promise<{ status: number; type: string; body: string }> {
  const url = new URL(h.url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
    if (body !== undefined) headers['content-type'] = contentType;
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body: text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const traversal = fc.constantFrom(
  '..',
  '../../etc/passwd',
  '..%2f..%2fpackage.json',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '....//....//',
  '%00',
  'climate%00',
  'climate/../climate',
  '%252e%252e',
  '~',
  '%',
  '%zz',
  '%E2%80%AE',
);
/** A path segment: traversal attempts, or a random string, percent-encoded or raw-but-legal. */
const segment = fc.oneof(
  traversal,
  fc.string({ minLength: 1, maxLength: 30 }).map((s) => encodeURIComponent(s)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map((s) => encodeURIComponent(s)),
  fc.stringMatching(/^[A-Za-z0-9._~-]{1,300}$/),
);

function expectClientError(res: { status: number; type: string; body: string }, what: string): void {
  expect(res.status, `${what}: ${res.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
  expect(res.type, what).toMatch(/application\/json/);
  expect(() => JSON.parse(res.body) as unknown, what).not.toThrow();
}

describe('bad ids, queries and bodies get a JSON 4xx', () => {
  test('ids in every route that takes one', async () => {
    await fc.assert(
      fc.asyncProperty(segment, async (id) => {
        for (const [method, path, body] of [
          ['GET', `/api/v1/pipelines/${id}/results`, undefined],
          ['POST', `/api/v1/alerts/${id}/silence`, '{"duration":"1h"}'],
          ['DELETE', `/api/v1/silences/${id}`, undefined],
        ] as const) {
          const res = await raw(method, path, body);
          if (id === 'climate' && method === 'GET') continue;
          expectClientError(res, `${method} ${path}`);
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  test('path traversal outside the API never reaches a file', async () => {
    for (const path of [
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2f..%2fpackage.json',
      '/app.js/../../package.json',
      '/dashboard/../../package.json',
      '//etc/passwd',
      '/%00',
    ]) {
      const res = await raw('GET', path);
      expect(res.body, path).not.toMatch(/root:x:0:0|"name": "sluice"/);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
  });

  test('query values', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 20 }).map((s) => encodeURIComponent(s)),
      fc.constantFrom('-1', '0', '1e9', 'NaN', '1.5', '99999999999999999999', '%', '', '[]'),
    );
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        for (const path of [
          `/api/v1/pipelines/climate/results?limit=${v}`,
          `/api/v1/dead-letters?limit=${v}&receiver=${v}`,
          `/api/v1/alerts?history=${v}`,
          `/api/v1/batches?limit=${v}`,
        ]) {
          const res = await raw('GET', path);
          if (res.status === 200) continue;
          expectClientError(res, `GET ${path}`);
        }
      }),
      { numRuns: 100 },
    );
  }, 120_000);

  test('bodies', async () => {
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc
        .record({ duration: fc.oneof(fc.string({ maxLength: 10 }), fc.double(), fc.constant(null)) })
        .map((v) => JSON.stringify(v)),
      fc.constantFrom(
        '{"duration":"1h","key":"../../x"}',
        '{"duration":"999999999d"}',
        '{"__proto__":{"a":1}}',
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        for (const path of ['/api/v1/reload', '/api/v1/alerts/none/silence']) {
          const res = await raw('POST', path, b);
          // An empty object is the one valid reload body: it gets its 200.
          if (path === '/api/v1/reload' && isEmptyObject(b)) {
            expect(res.status, b).toBe(200);
            continue;
          }
          expectClientError(res, `POST ${path} ${b.slice(0, 80)}`);
        }
      }),
      { numRuns: 100 },
    );
    expect(h.gateway.status().phase).toBe('ready');
  }, 120_000);
});

function isEmptyObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
  } catch {
    return false;
  }
}
