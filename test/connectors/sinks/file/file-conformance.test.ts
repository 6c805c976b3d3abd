// The file sink runs the sink conformance suite: each test appends to a file of its own and reads the JSON
// lines back (the id from the record's id field).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { fileSinkConfigSchema } from '../../../../connectors/sinks/file/config.js';
import { createSink } from '../../../../connectors/sinks/file/index.js';
import type { Logger } from '../../../../connectors/types.js';
import { sinkSuite } from '../../../support/sink-suite.js';

let dir: string;
let next = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-file-suite-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

sinkSuite('the file sink', () => {
  const file = path.join(dir, `out-${next++}.jsonl`);
  return {
    create: () =>
      createSink('suite', fileSinkConfigSchema.parse({ type: 'file', path: file }), {
        log: silent,
        durability: 'process',
        disconnected: () => undefined,
      }),
    delivered: async () =>
      (await readFile(file, 'utf8'))
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const value = JSON.parse(l) as { id: string; key: string };
          return { id: value.id, key: value.key, value };
        }),
  };
});
