// A gateway without a Kafka sink never loads kafkajs: its config is validated and its gateway built and run in a
// fresh Node process, which then reports whether kafkajs is in the module cache; loading the kafka sink through
// the registry afterwards does load it (so the probe can tell).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

test('a gateway without a Kafka sink does not load kafkajs; the kafka sink does', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-lazy-'));
  const url = (file: string): string => pathToFileURL(path.join(root, file)).href;
  const script = `
    import { createRequire } from 'node:module';
    const { configSchema } = await import(${JSON.stringify(url('daemon/config/schema.ts'))});
    const { createGateway } = await import(${JSON.stringify(url('daemon/app.ts'))});
    const { findSink } = await import(${JSON.stringify(url('connectors/registry.ts'))});
    const Module = createRequire(import.meta.url)('node:module');
    const loaded = () => Object.keys(Module._cache).some((k) => k.includes('/node_modules/kafkajs/'));
    const config = configSchema.parse({
      gateway: { id: 'lazy' },
      state: { dir: ${JSON.stringify(path.join(dir, 'state'))} },
      receivers: { sim: { type: 'simulator', sensors: 1 } },
      pipelines: { p: { from: ['sim'], window: { length: '1s' }, aggregate: { n: 'count()' }, to: ['out'] } },
      sinks: { out: { type: 'file', path: ${JSON.stringify(path.join(dir, 'out.jsonl'))} } },
    });
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    const gateway = createGateway(config, { log });
    await gateway.start();
    await gateway.stop();
    const before = loaded();
    await findSink('kafka').load();
    console.log(JSON.stringify({ before, after: loaded() }));
  `;
  try {
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const { stdout } = await run(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], {
      cwd: root,
      timeout: 30_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({ before: false, after: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
