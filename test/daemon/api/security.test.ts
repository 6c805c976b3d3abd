// The API's security over real sockets: bearer tokens (constant-time compare, /healthz open), the loopback host
// guard, body limits, malformed input answered with JSON 4xx, and the config rule that a non-loopback bind
// needs a token.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkConfigText } from '../../../daemon/config/load.js';
import { startHarness, type Harness } from './harness.js';

const TOKEN = 'correct-horse-battery-staple-0123456789';
let h: Harness;

beforeAll(async () => {
  h = await startHarness('api: { token: "${SLUICE_API_TOKEN}" }\n', { SLUICE_API_TOKEN: TOKEN });
});

afterAll(async () => {
  await h.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A raw request, for what fetch will not send (a forged Host header, an unnormalized path). */
function raw(
  path: string,
  headers: Record<string, string>,
  method = 'GET',
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(h.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('with a token', () => {
  test.each([
    ['no token', {}],
    ['a wrong token', bearer('wrong')],
    ['a token one character short', bearer(TOKEN.slice(0, -1))],
    ['another scheme', { authorization: `Basic ${TOKEN}` }],
  ])('answers 401 with a JSON error and WWW-Authenticate to %s', async (_what, headers) => {
    for (const path of ['/api/v1/status', '/metrics', '/readyz', '/api/v1/openapi.json', '/no/such/route']) {
      const res = await fetch(`${h.url}${path}`, { headers });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.json()).toEqual(expect.objectContaining({ error: 'SLUICE_API_UNAUTHORIZED' }));
    }
  });

  test('answers 200 to the right token', async () => {
    for (const path of ['/api/v1/status', '/metrics', '/readyz', '/api/v1/pipelines']) {
      expect((await fetch(`${h.url}${path}`, { headers: bearer(TOKEN) })).status, path).toBe(200);
    }
  });

  test('leaves /healthz open', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  test('lists the bearer scheme in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${h.url}/api/v1/openapi.json`, { headers: bearer(TOKEN) })).json()) as {
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
  });
});

describe('malformed requests', () => {
  test.each([
    ['/api/v1/pipelines/climate/results?limit=abc', 400],
    ['/api/v1/pipelines/climate/results?limit=0', 400],
    ['/api/v1/pipelines/climate/results?limit=100000', 400],
    ['/api/v1/pipelines/Climate!/results', 400],
    ['/api/v1/pipelines/..%2F..%2Fetc%2Fpasswd/results', 400],
    ['/api/v1/pipelines/../../etc/passwd', 404],
    ['/api/v1/pipelines/nope/results', 404],
    ['/api/v1/dead-letters?receiver=nope', 404],
    ['/api/v1/dead-letters?receiver=..%2F', 400],
    ['/api/v1/nothing', 404],
  ])('answers %s with %i and a JSON error, no stack', async (path, status) => {
    const res = await raw(path, bearer(TOKEN));
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['error', 'hint', 'message']);
    expect(body.error).toMatch(/^SLUICE_API_/);
    expect(res.body).not.toMatch(/\bat .*\.[jt]s:\d+/);
  });

  test('refuses a reload with a bad body, a wrong media type, or one too large', async () => {
    const post = (body: string, type = 'application/json') =>
      raw('/api/v1/reload', { ...bearer(TOKEN), 'content-type': type }, 'POST', body);
    expect((await post('{')).status).toBe(400);
    expect((await post('{"force": true}')).status).toBe(400);
    expect((await post('[]')).status).toBe(400);
    const form = await post('a=1', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect(JSON.parse(form.body)).toEqual(
      expect.objectContaining({ error: 'SLUICE_API_UNSUPPORTED_MEDIA_TYPE' }),
    );
    const big = await post(JSON.stringify({ pad: 'x'.repeat(70_000) }));
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toEqual(expect.objectContaining({ error: 'SLUICE_API_PAYLOAD_TOO_LARGE' }));
    expect(h.reloads).toBe(0);
  });

  test('refuses a request addressed to another host name (DNS rebinding) on a loopback bind', async () => {
    const res = await raw('/api/v1/status', { ...bearer(TOKEN), host: 'evil.example:8080' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual(expect.objectContaining({ error: 'SLUICE_API_FORBIDDEN' }));
    expect((await raw('/api/v1/status', { ...bearer(TOKEN), host: 'localhost:8080' })).status).toBe(200);
  });
});

describe('config', () => {
  const base = `gateway: { id: gw }
receivers:
  sensors: { type: simulator }
`;

  test('refuses a non-loopback bind without a token, naming the key and the fix', () => {
    const check = checkConfigText(`${base}api: { bind: 0.0.0.0 }\n`);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.issues).toEqual([
      expect.objectContaining({
        code: 'SLUICE_CONFIG_INVALID',
        path: 'api.token',
        message: expect.stringMatching(/needs a token/) as unknown,
        hint: expect.stringMatching(/127\.0\.0\.1/) as unknown,
      }),
    ]);
  });

  test('accepts a non-loopback bind with a token, and loopback without one', () => {
    expect(checkConfigText(`${base}api: { bind: 0.0.0.0, token: s3cret-token }\n`).ok).toBe(true);
    expect(checkConfigText(`${base}api: { bind: "::1" }\n`).ok).toBe(true);
    expect(checkConfigText(base).ok).toBe(true);
  });
});
