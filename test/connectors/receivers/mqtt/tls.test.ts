// TLS against a real Mosquitto serving mqtts:// with a test CA and requiring client certificates: the
// receiver's tls settings (ca, cert, key, rejectUnauthorized) reach the connection.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createReceiver } from '../../../../connectors/receivers/mqtt/index.js';
import { requireExecutable, startMosquitto, type Mosquitto } from '../../../support/mosquitto.js';
import { receiverConfig, TestHost } from './test-host.js';

const run = promisify(execFile);

let dir: string;
let broker: Mosquitto;
const pem = { ca: '', cert: '', key: '' };

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
async function makeCertificates(): Promise<void> {
  const openssl = requireExecutable('openssl', 'apt-get install openssl');
  const file = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run(openssl, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=sluice test CA',
  ]);
  await writeFile(file('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const [name, subject, extensions] of [
    ['server', '/CN=127.0.0.1', ['-extfile', file('server.ext')]],
    ['client', '/CN=sluice-gw-tls', []],
  ] as const) {
    await run(openssl, [
      'req',
      ...ec,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
      '-subj',
      subject,
    ]);
    await run(openssl, [
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file(`${name}.pem`),
      '-days',
      '2',
      ...extensions,
    ]);
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-tls-'));
  await makeCertificates();
  broker = await startMosquitto({
    tls: {
      caFile: join(dir, 'ca.pem'),
      certFile: join(dir, 'server.pem'),
      keyFile: join(dir, 'server.key'),
      clientCertFile: join(dir, 'client.pem'),
      clientKeyFile: join(dir, 'client.key'),
    },
  });
  pem.ca = await readFile(join(dir, 'ca.pem'), 'utf8');
  pem.cert = await readFile(join(dir, 'client.pem'), 'utf8');
  pem.key = await readFile(join(dir, 'client.key'), 'utf8');
});

afterAll(async () => {
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

it('connects over mqtts:// checking the broker against the configured CA, with a client certificate', async () => {
  expect(broker.url).toMatch(/^mqtts:\/\//);
  const host = new TestHost();
  const receiver = createReceiver(
    'tls',
    receiverConfig({ url: broker.url, topics: ['tls/t'], tls: pem }),
    host,
    'gw',
  );
  await receiver.connect();
  await broker.publish('tls/t', 'secure', { qos: 1 });
  await host.waitForMessages(1);
  await receiver.close();
  expect(host.payloads()).toEqual(['secure']);
  expect(JSON.stringify(host.logs)).not.toContain('PRIVATE KEY');
});

it('rejects a broker certificate that the trusted CAs do not vouch for', async () => {
  const { ca: _ca, ...withoutCa } = pem;
  const receiver = createReceiver(
    'tls-untrusted',
    receiverConfig({ url: broker.url, topics: ['tls/t'], tls: withoutCa }),
    new TestHost(),
    'gw',
  );
  const attempt = receiver.connect();
  await expect(attempt).rejects.toMatchObject({ kind: 'connect' });
  await expect(attempt).rejects.toThrow(/certificate/);
});

it('connects to an unverified broker only with rejectUnauthorized: false', async () => {
  const { ca: _ca, ...withoutCa } = pem;
  const receiver = createReceiver(
    'tls-unverified',
    receiverConfig({ url: broker.url, topics: ['tls/t'], tls: { ...withoutCa, rejectUnauthorized: false } }),
    new TestHost(),
    'gw',
  );
  await receiver.connect();
  await receiver.close();
});

it('is refused by a broker requiring a client certificate when none is configured', async () => {
  const receiver = createReceiver(
    'tls-anonymous',
    receiverConfig({ url: broker.url, topics: ['tls/t'], tls: { ca: pem.ca } }),
    new TestHost(),
    'gw',
  );
  await expect(receiver.connect()).rejects.toMatchObject({ kind: 'connect' });
});
