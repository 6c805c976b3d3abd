// Node-RED as a peer: installed from npm on first use into bench/.peers/node-red (git-ignored; not a dependency of
// the project), run headless (no editor, no HTTP nodes) with a generated settings file and the flow a competent
// user would build for the workload: mqtt in (QoS 1) → json → a function node keeping tumbling 1 s event-time
// windows per sensor in its context (closed 2 s behind the newest reading, as Sluice's lateness) → file (append).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LATENESS_MS, SIZE_MS } from './oracle.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const INSTALL_DIR = path.join(ROOT, 'bench', '.peers', 'node-red');
/** Pinned, so reruns measure the same Node-RED (5.x needs Node 22.9; Sluice supports Node 20). */
export const NODE_RED_VERSION = '4.1.8';
const READY_TIMEOUT_MS = 60_000;

/** red.js of the pinned Node-RED, installed with npm on the first call. */
export async function installNodeRed(): Promise<string> {
  const red = path.join(INSTALL_DIR, 'node_modules', 'node-red', 'red.js');
  const pkg = path.join(INSTALL_DIR, 'node_modules', 'node-red', 'package.json');
  if (existsSync(red) && existsSync(pkg)) {
    const { version } = JSON.parse(await import('node:fs/promises').then((f) => f.readFile(pkg, 'utf8'))) as {
      version: string;
    };
    if (version === NODE_RED_VERSION) return red;
  }
  process.stderr.write(
    `  installing node-red@${NODE_RED_VERSION} into ${path.relative(ROOT, INSTALL_DIR)}\n`,
  );
  await mkdir(INSTALL_DIR, { recursive: true });
  await writeFile(path.join(INSTALL_DIR, 'package.json'), '{ "private": true }\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await promisify(execFile)(
    npm,
    ['install', '--no-audit', '--no-fund', '--omit=dev', '--no-save', `node-red@${NODE_RED_VERSION}`],
    { cwd: INSTALL_DIR, maxBuffer: 64 * 1024 * 1024 },
  );
  if (!existsSync(red)) throw new Error(`npm installed node-red but ${red} is missing`);
  return red;
}

/** The function node's code: what a Node-RED user writes for keyed tumbling windows in event time. */
const WINDOW_FUNCTION = `// Tumbling ${SIZE_MS} ms windows per sensor in event time (msg.payload.ts), with count/avg/min/max of temp.
// A window is sent once the newest reading is ${LATENESS_MS} ms past its end (late readings still count until then).
const SIZE = ${SIZE_MS};
const LATENESS = ${LATENESS_MS};
let state = context.get('state');
if (state === undefined) {
  state = { open: new Map(), watermark: -Infinity };
  context.set('state', state);
}
const sensor = msg.topic.split('/')[1];
const ts = msg.payload.ts;
const temp = msg.payload.temp;
const start = ts - (ts % SIZE);
const id = sensor + '/' + start;
const w = state.open.get(id);
if (w === undefined) state.open.set(id, { key: sensor, start, n: 1, sum: temp, min: temp, max: temp });
else {
  w.n += 1;
  w.sum += temp;
  if (temp < w.min) w.min = temp;
  if (temp > w.max) w.max = temp;
}
if (ts - LATENESS <= state.watermark) return null;
state.watermark = ts - LATENESS;
const out = [];
for (const [k, o] of state.open) {
  if (o.start + SIZE <= state.watermark) {
    out.push({
      payload: JSON.stringify({ key: o.key, windowStart: o.start, windowEnd: o.start + SIZE, n: o.n, avg: o.sum / o.n, min: o.min, max: o.max }),
    });
    state.open.delete(k);
  }
}
return out.length === 0 ? null : [out];
`;

export function flow(brokerPort: number, outFile: string): unknown[] {
  return [
    { id: 'tab1', type: 'tab', label: 'sensor windows', disabled: false },
    {
      id: 'broker1',
      type: 'mqtt-broker',
      name: 'bench broker',
      broker: '127.0.0.1',
      port: String(brokerPort),
      clientid: 'peers-node-red',
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
      autoUnsubscribe: true,
      birthTopic: '',
      closeTopic: '',
      willTopic: '',
    },
    {
      id: 'in1',
      type: 'mqtt in',
      z: 'tab1',
      name: 'telemetry',
      topic: 'sensors/+/telemetry',
      qos: '1',
      datatype: 'utf8',
      broker: 'broker1',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      wires: [['json1']],
    },
    {
      id: 'json1',
      type: 'json',
      z: 'tab1',
      name: '',
      property: 'payload',
      action: 'obj',
      pretty: false,
      wires: [['fn1']],
    },
    {
      id: 'fn1',
      type: 'function',
      z: 'tab1',
      name: '1 s windows by sensor',
      func: WINDOW_FUNCTION,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      wires: [['file1']],
    },
    {
      id: 'file1',
      type: 'file',
      z: 'tab1',
      name: 'results',
      filename: outFile,
      filenameType: 'str',
      appendNewline: true,
      createDir: true,
      overwriteFile: 'false',
      encoding: 'none',
      wires: [],
    },
  ];
}

export interface NodeRed {
  readonly child: ChildProcess;
  readonly pid: number;
  output(): string;
  stop(): Promise<void>;
}

/** Starts Node-RED headless in userDir with the flow; resolves once its MQTT node has connected. */
export async function startNodeRed(
  red: string,
  userDir: string,
  brokerPort: number,
  outFile: string,
): Promise<NodeRed> {
  await mkdir(userDir, { recursive: true });
  await writeFile(path.join(userDir, 'flows.json'), JSON.stringify(flow(brokerPort, outFile), null, 2));
  await writeFile(
    path.join(userDir, 'settings.js'),
    `module.exports = {
  flowFile: 'flows.json',
  credentialSecret: false,
  uiHost: '127.0.0.1',
  uiPort: 0,
  httpAdminRoot: false,
  httpNodeRoot: false,
  disableEditor: true,
  telemetry: { enabled: false },
  diagnostics: { enabled: false },
  runtimeState: { enabled: false },
  externalModules: { autoInstall: false },
  functionExternalModules: false,
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`,
  );
  const child = spawn(
    process.execPath,
    [red, '--settings', path.join(userDir, 'settings.js'), '--userDir', userDir],
    {
      cwd: userDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let text = '';
  child.stdout.on('data', (c: Buffer) => (text = (text + c.toString()).slice(-64 * 1024)));
  child.stderr.on('data', (c: Buffer) => (text = (text + c.toString()).slice(-64 * 1024)));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!/Connected to broker/i.test(text)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Node-RED did not connect to the broker:\n${text.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    child,
    pid: child.pid ?? -1,
    output: () => text,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
