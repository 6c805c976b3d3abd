// A real in-process gateway (simulated sensors, a file sink in a temp dir) with its API on a free port.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createApiServer, type ApiServer } from '../../../daemon/api/server.js';
import { createGateway, type Gateway } from '../../../daemon/app.js';
import { loadConfig } from '../../../daemon/config/load.js';

export interface Harness {
  dir: string;
  gateway: Gateway;
  api: ApiServer;
  url: string;
  reloads: number;
  /** Stops the gateway and its API, then starts both again from the same config and state dir (new port). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** extra: YAML appended to the config (e.g. an api section). */
export async function startHarness(extra = '', env: Record<string, string> = {}): Promise<Harness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-api-'));
  const file = path.join(dir, 'sluice.yaml');
  await writeFile(
    file,
    `gateway: { id: api-test }
batch: { interval: 200ms }
state: { dir: ${path.join(dir, 'state')} }
receivers:
  sensors: { type: simulator, sensors: 5, interval: 100ms }
pipelines:
  climate:
    from: [sensors]
    window: { length: 1s, slide: 1s, time: processing }
    aggregate: { n: count(), temp_avg: avg(temp) }
    to: [results]
sinks:
  results: { type: file, path: ${path.join(dir, 'results.jsonl')} }
${extra}`,
  );
  const config = await loadConfig(file, { env });
  const log = pino({ level: 'silent' });
  const harness: Harness = {
    dir,
    gateway: createGateway(config, { log }),
    api: undefined as unknown as ApiServer,
    url: '',
    reloads: 0,
    async restart() {
      await harness.api.close();
      await harness.gateway.stop();
      harness.gateway = createGateway(config, { log });
      await serve();
    },
    async close() {
      await harness.api.close();
      await harness.gateway.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  const serve = async (): Promise<void> => {
    harness.api = await createApiServer({
      config: { ...config.api, port: 0 },
      gateway: harness.gateway,
      log,
      heartbeatMs: 200,
      reload: () => {
        harness.reloads++;
        return Promise.resolve(harness.gateway);
      },
    });
    harness.url = await harness.api.listen();
    await harness.gateway.start();
  };
  await serve();
  return harness;
}
