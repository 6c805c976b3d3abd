// Runs a part of the test suite under the other Node LTS lines Sluice supports (package.json engines: 20.19+,
// 22, 24), so that "runs on 22 and 24" is checked, not assumed. The development machine and CI have Node 20; the
// other lines come from the npm registry (the node-linux-<arch> packages hold the official binaries), pinned
// here, unpacked once into .cache/node-lines/. Node's own native-addon ABI differs between lines; classic-level
// and serialport load N-API prebuilds, which is what this run proves among other things.
//
//   npm run test:node-lines               # every line below, the subset below
//   npm run test:node-lines -- 24         # one line
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The newest release of each line when this was written; bump with the lines. */
const LINES: Record<string, string> = { '22': '22.23.3', '24': '24.21.0' };

/** What the other lines run: the engine (pure), the daemon as a child process of that Node (LevelDB's native
 * addon, recovery after SIGKILL, the HTTP API), a serial port on a real pty (serialport's native addon), MQTT
 * end to end through Mosquitto. */
const SUBSET = [
  'test/operators',
  'test/daemon/recovery.test.ts',
  'test/daemon/crash-recovery.test.ts',
  'test/daemon/gateway-end-to-end.test.ts',
  'test/daemon/api/api.test.ts',
  'test/connectors/receivers/serial/receive.test.ts',
];

function nodeBinary(version: string): string {
  const dir = path.join(root, '.cache', 'node-lines', version);
  const bin = path.join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const name = `node-${process.platform}-${process.arch}`;
  const tarball = execFileSync('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', dir], {
    encoding: 'utf8',
  }).trim();
  execFileSync('tar', ['xzf', path.join(dir, tarball), '-C', dir]);
  if (!existsSync(bin)) throw new Error(`${name}@${version} holds no bin/node`);
  return bin;
}

const wanted = process.argv.slice(2);
const lines = wanted.length > 0 ? wanted : Object.keys(LINES);
let failed = 0;
for (const line of lines) {
  const version = LINES[line];
  if (version === undefined)
    throw new Error(`unknown Node line ${line}; known: ${Object.keys(LINES).join(', ')}`);
  const node = nodeBinary(version);
  const shown = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`\n== Node ${shown}: ${SUBSET.join(' ')}`);
  // vitest's workers and every daemon the tests spawn use process.execPath: this Node.
  const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const run = spawnSync(node, [vitest, 'run', ...SUBSET], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
