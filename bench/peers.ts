// `npm run bench -- peers`: one workload (QoS 1 JSON readings from 100 sensors with an event time; tumbling 1 s
// event-time windows by sensor with count/avg/min/max; results to a file) through what users would pick instead
// of Sluice, each in its own process fed by the MQTT benchmark's replay server (so the consumer is measured, not a
// broker): (a) a raw mqtt.js subscriber that only counts, the ceiling; (b) a hand-rolled mqtt.js loop; (c) an
// idiomatic RxJS pipeline; (d) Node-RED with mqtt in → json → function → file (installed on first run into
// bench/.peers/node-red); (e) the built Sluice daemon, durability: process. A run ends when the server has every
// PUBACK and the results file holds every window the workload closes. Every implementation's windows are
// compared with the ones computed from the workload; a mismatch is printed loudly and sets exit code 1.
// Flags: --messages=N (1000000), --window=N unacknowledged (20000), --rounds=N (1; the table shows medians),
// --worktree (build Sluice from the working tree instead of HEAD, to measure uncommitted changes),
// --only=sluice,hand (run only these implementations: names or prefixes of raw, hand-rolled, rxjs, node-red, sluice;
// the ratio rows whose two sides both ran are printed; a partial run saves no results file unless --out is given),
// --out=FILE (save the table there instead of bench/results/peers-<date>.txt),
// --profile=DIR (Sluice also runs with --cpu-prof into DIR and is stopped with SIGTERM so the profile is written;
// its figures then include the profiler's cost).
// The window is large on purpose: at 1000 (the MQTT benchmark's) every mqtt.js consumer stops near 20k
// records/s on the 2-core VM while both the server and the consumer are mostly idle (the acknowledgement round
// trip bounds it: 5000 gives ~80k/s), and the table would measure that instead of the consumers.
import { readFile, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import ts from 'typescript';
import { describeMachine } from './machine.js';
import { median } from './measure.js';
import { startReplayServer } from './mqtt/replay-server.js';
import { encodePublishes } from './mqtt/workload.js';
import { deployedNodeFlags } from './compile.js';
import { buildDaemon, procUsage, startBuiltDaemon } from './peers/daemon.js';
import { installNodeRed, NODE_RED_VERSION, startNodeRed } from './peers/node-red.js';
import {
  compare,
  expectedPresent,
  expectedWindows,
  LATENESS_MS,
  type Comparison,
  type Windows,
} from './peers/oracle.js';
import { renderTable, throughputRow, type Row } from './report.js';
import { numberFlag, textFlag } from './flags.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PEERS = ['raw', 'hand-rolled', 'rxjs', 'node-red', 'sluice'] as const;
type Peer = (typeof PEERS)[number];
const LABELS: Record<Peer, string> = {
  raw: '(a) raw mqtt.js, count only',
  'hand-rolled': '(b) hand-rolled mqtt.js loop',
  rxjs: '(c) RxJS pipeline',
  'node-red': `(d) Node-RED ${NODE_RED_VERSION}`,
  sluice: '(e) Sluice, durability process',
};

/** The peers --only names (each a name or a unique prefix of one), in the table's order; all without the flag. */
export function selectPeers(only: string | undefined): Peer[] {
  if (only === undefined) return [...PEERS];
  const chosen = new Set<Peer>();
  for (const word of only.split(',').map((w) => w.trim().toLowerCase())) {
    if (word === '') continue;
    const hits = PEERS.filter((p) => p === word || p.startsWith(word));
    const hit = hits.length === 1 ? hits[0] : PEERS.find((p) => p === word);
    if (hit === undefined)
      throw new Error(
        `--only: "${word}" ${hits.length > 1 ? `is ambiguous (${hits.join(', ')})` : 'names no implementation'}; known: ${PEERS.join(', ')}`,
      );
    chosen.add(hit);
  }
  if (chosen.size === 0) throw new Error(`--only names no implementation; known: ${PEERS.join(', ')}`);
  return PEERS.filter((p) => chosen.has(p));
}

interface Figures {
  rps: number;
  cpuS: number;
  peakRssBytes: number;
  /** ms from the first PUBLISH to the last PUBACK, and to the last expected window in the file. */
  ackMs: number;
  doneMs: number;
  comparison: Comparison | undefined;
  /** The machine's 1-minute load average when this implementation's run ended (others' work shows here). */
  load: number;
}

/** Transpiles peers/consumer.ts to plain JavaScript (no loader in the peers' processes). */
async function transpileConsumer(dir: string): Promise<string> {
  const source = await readFile(path.join(HERE, 'peers', 'consumer.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const file = path.join(dir, 'consumer.mjs');
  await writeFile(file, outputText);
  return file;
}

/** Follows a growing results file: the complete lines appended since the last call. */
function follower(file: string): { next(): Promise<string[]>; all: string[] } {
  let offset = 0;
  let rest = '';
  const all: string[] = [];
  return {
    all,
    async next() {
      const handle = await open(file, 'r').catch(() => undefined);
      if (handle === undefined) return [];
      try {
        const { size } = await handle.stat();
        if (size <= offset) return [];
        const buf = Buffer.alloc(size - offset);
        await handle.read(buf, 0, buf.length, offset);
        offset = size;
        const parts = (rest + buf.toString('utf8')).split('\n');
        rest = parts.pop() ?? '';
        const lines = parts.filter((l) => l !== '');
        all.push(...lines);
        return lines;
      } finally {
        await handle.close();
      }
    },
  };
}

interface Tools {
  consumer: string;
  daemon: string;
  red: string;
  tmp: string;
  /** --profile: where Sluice writes its CPU profile. */
  profileDir: string | undefined;
}

interface Started {
  pid: number;
  /** Resolves when a count-only peer has taken every message (others: never needed). */
  counted: Promise<void>;
  stop(): Promise<void>;
  describe(): string;
}

async function startPeer(
  peer: Peer,
  url: string,
  n: number,
  outFile: string,
  tools: Tools,
): Promise<Started> {
  if (peer === 'node-red') {
    const red = await startNodeRed(
      tools.red,
      await mkdtemp(path.join(tools.tmp, 'node-red-')),
      Number(new URL(url).port),
      outFile,
    );
    return {
      pid: red.pid,
      counted: new Promise(() => undefined),
      stop: () => red.stop(),
      describe: () => red.output(),
    };
  }
  if (peer === 'sluice') {
    // A fresh state dir every run: a recovered watermark from the last round would take every reading as late.
    const dir = await mkdtemp(path.join(tools.tmp, 'sluice-'));
    const config = path.join(dir, 'sluice.yaml');
    await writeFile(
      config,
      `gateway: { id: peers }
state: { dir: ${path.join(dir, 'state')}, durability: process }
api: { port: 0 }
receivers:
  climate: { type: mqtt, url: "${url}", topics: ["sensors/+/telemetry"], qos: 1, format: json, key: "topicParts[1]", time: ts }
pipelines:
  climate-1s:
    from: [climate]
    window: { length: 1s, lateness: ${LATENESS_MS / 1000}s }
    aggregate: { n: count(), temp_avg: avg(temp), temp_min: min(temp), temp_max: max(temp) }
    to: [archive]
sinks:
  archive: { type: file, path: ${outFile} }
`,
    );
    // As installed: with the systemd unit's Node flags (its heap cap), like the MQTT benchmark.
    const profile =
      tools.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${tools.profileDir}`];
    const daemon = await startBuiltDaemon(tools.daemon, config, dir, {}, [
      ...(await deployedNodeFlags()),
      ...profile,
    ]);
    return {
      pid: daemon.pid,
      counted: new Promise(() => undefined),
      stop: async () => {
        // A profile is written only on a clean exit.
        if (tools.profileDir !== undefined) await daemon.stop();
        daemon.child.kill('SIGKILL');
        await daemon.exited;
      },
      describe: () => daemon.output(),
    };
  }
  const child = spawn(process.execPath, [tools.consumer, peer, url, String(n), outFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errText = '';
  child.stderr.on('data', (c: Buffer) => (errText = (errText + c.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const lines = createInterface({ input: child.stdout });
  let ready: () => void = () => undefined;
  let counted: () => void = () => undefined;
  const isReady = new Promise<void>((r) => (ready = r));
  const isCounted = new Promise<void>((r) => (counted = r));
  lines.on('line', (line) => {
    if (line === 'ready') ready();
    else if (line === 'done') counted();
  });
  await Promise.race([
    isReady,
    exited.then(() => {
      throw new Error(`${peer} exited before it was ready:\n${errText}`);
    }),
  ]);
  return {
    pid: child.pid ?? -1,
    counted: isCounted,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    describe: () => errText,
  };
}

async function measure(
  peer: Peer,
  packets: Buffer[],
  window: number,
  expected: Windows,
  tools: Tools,
): Promise<Figures> {
  const server = await startReplayServer(packets, window);
  const outFile = path.join(tools.tmp, `${peer}-${Date.now()}.jsonl`);
  const limitMs = Math.max(180_000, packets.length * 0.4); // 400 s for 1M: Node-RED needs ~110 s here
  let started: Started | undefined;
  try {
    started = await startPeer(peer, server.url, packets.length, outFile, tools);
    const before = await procUsage(started.pid);
    const t0 = performance.now();
    let ackMs = NaN;
    const acked = server.run().then(() => (ackMs = performance.now() - t0));
    let doneMs = NaN;
    if (peer === 'raw') {
      await Promise.race([started.counted, sleep(limitMs)]);
      doneMs = performance.now() - t0;
    }
    const results = follower(outFile);
    const seen = new Set<string>();
    while (peer !== 'raw' && performance.now() - t0 < limitMs) {
      const fresh = await results.next();
      if (expectedPresent(expected, fresh, seen) === expected.size) {
        doneMs = performance.now() - t0;
        break;
      }
      await sleep(50);
    }
    await Promise.race([acked, sleep(Math.max(0, limitMs - (performance.now() - t0)))]);
    const after = await procUsage(started.pid);
    if (!Number.isFinite(ackMs) || !Number.isFinite(doneMs)) {
      process.stderr.write(
        `  ${peer} did not finish within ${limitMs / 1000} s (acked: ${String(Number.isFinite(ackMs))}, windows: ${seen.size} of ${expected.size})\n${started.describe().slice(-2000)}\n`,
      );
    }
    const endMs = Math.max(ackMs, doneMs);
    // Whatever arrived until now counts for correctness (a window written twice with other values is a mismatch).
    await sleep(300);
    await results.next();
    return {
      rps: packets.length / (endMs / 1000),
      cpuS: after.cpuS - before.cpuS,
      peakRssBytes: after.peakRssBytes,
      ackMs,
      doneMs,
      comparison: peer === 'raw' ? undefined : compare(expected, results.all),
      load: loadavg()[0] ?? NaN,
    };
  } finally {
    await started?.stop();
    await server.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

const krps = (rps: number): string => `${(rps / 1000).toFixed(1)} k rec/s`;

/** A records/s row in thousands (report.ts's M rec/s rounds these rates to 0.01–0.02). */
function rateRow(scenario: string, sluice: number, baseline: number, minRatio?: number): Row {
  const row = throughputRow(scenario, sluice, baseline, minRatio);
  return { ...row, sluice: krps(sluice), baseline: krps(baseline) };
}

function ratioRow(scenario: string, sluice: number, baseline: number, maxRatio: number): Row {
  const ratio = sluice / baseline;
  return {
    scenario,
    sluice: mib(sluice),
    baseline: mib(baseline),
    ratio: `${ratio.toFixed(2)}×`,
    target: `≤ ${maxRatio.toFixed(2)}×`,
    verdict: ratio <= maxRatio ? 'PASS' : 'MISS',
  };
}

export async function run(flags: readonly string[]): Promise<void> {
  const n = numberFlag(flags, 'messages', 1_000_000);
  const window = numberFlag(flags, 'window', 20_000);
  const rounds = Math.max(1, numberFlag(flags, 'rounds', 1));
  const peers = selectPeers(textFlag(flags, 'only'));
  const outFlag = textFlag(flags, 'out');
  const out: string[] = [];
  const print = (line: string): void => {
    out.push(line);
    console.log(line);
  };
  print(describeMachine());
  print(
    `peers: ${n} QoS 1 JSON readings, 100 sensors, tumbling 1 s event-time windows by sensor (count/avg/min/max, ` +
      `lateness 2 s) to a file; replay server, ${window} unacknowledged; ${rounds} round(s), medians`,
  );
  const tmp = await mkdtemp(path.join(tmpdir(), 'sluice-bench-peers-'));
  const toolsDir = path.join(HERE, '.peers');
  await mkdir(toolsDir, { recursive: true });
  process.stderr.write('  building the daemon, installing Node-RED, computing the expected windows\n');
  const [built, red, consumer] = await Promise.all([
    peers.includes('sluice') ? buildDaemon('dist', flags.includes('--worktree') ? null : 'HEAD') : undefined,
    peers.includes('node-red') ? installNodeRed() : '',
    transpileConsumer(toolsDir),
  ]);
  const daemon = built?.main ?? '';
  if (peers.length < PEERS.length) print(`only: ${peers.join(', ')}`);
  print(
    `${built === undefined ? '' : `sluice built from ${built.source}; `}Node-RED ${NODE_RED_VERSION}, rxjs and mqtt.js from the repository`,
  );
  const expected = expectedWindows(n);
  const packets = encodePublishes(n);
  const profileFlag = textFlag(flags, 'profile');
  const profileDir = profileFlag === undefined ? undefined : path.resolve(profileFlag);
  if (profileDir !== undefined) {
    await mkdir(profileDir, { recursive: true });
    print(`sluice runs with --cpu-prof (profiles in ${profileDir}): its figures include the profiler`);
  }
  const tools: Tools = { consumer, daemon, red, tmp, profileDir };
  const runs = new Map<Peer, Figures[]>(peers.map((p) => [p, []]));
  const problems: string[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const peer of peers) {
        process.stderr.write(`  round ${round}: ${peer}\n`);
        const f = await measure(peer, packets, window, expected, tools);
        runs.get(peer)?.push(f);
        process.stderr.write(
          `    ${Math.round(f.rps)} rec/s (acked ${(f.ackMs / 1000).toFixed(1)} s, windows ${(f.doneMs / 1000).toFixed(1)} s), ` +
            `CPU ${f.cpuS.toFixed(1)} s, peak RSS ${mib(f.peakRssBytes)}, load ${f.load.toFixed(1)}\n`,
        );
        const c = f.comparison;
        if (c !== undefined && (c.missing > 0 || c.mismatched > 0)) {
          problems.push(
            `${peer} (round ${round}): ${c.missing} of ${expected.size} windows missing, ${c.mismatched} different; ${c.examples.join('; ')}`,
          );
        }
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  const med = (p: Peer, pick: (f: Figures) => number): number => median((runs.get(p) ?? []).map(pick));
  const spread = (p: Peer): string => {
    const r = (runs.get(p) ?? []).map((f) => f.rps);
    return r.length < 2 ? '' : `${Math.round(Math.min(...r))}–${Math.round(Math.max(...r))}`;
  };
  const rps = (p: Peer): number => med(p, (f) => f.rps);
  const rss = (p: Peer): number => med(p, (f) => f.peakRssBytes);
  const cpu = (p: Peer): number => med(p, (f) => f.cpuS);
  const cells = (c: readonly string[]): string =>
    c
      .map((cell, i) => (i === 0 ? cell.padEnd(32) : i === 6 ? ` ${cell}` : cell.padStart(i === 2 ? 13 : 10)))
      .join(' ');
  print('');
  print(
    cells([
      'implementation',
      'records/s',
      'range',
      'CPU s',
      'rec/CPU s',
      'peak RSS',
      `windows (${expected.size})`,
    ]),
  );
  for (const p of peers) {
    const cs = (runs.get(p) ?? []).map((f) => f.comparison);
    const repeats = Math.max(0, ...cs.map((c) => c?.duplicates ?? 0));
    const correctness =
      p === 'raw'
        ? 'n/a (counts only)'
        : cs.every((c) => c !== undefined && c.missing === 0 && c.mismatched === 0)
          ? `all match${repeats > 0 ? ` (${repeats} identical repeats)` : ''}`
          : 'MISMATCH';
    print(
      cells([
        LABELS[p],
        String(Math.round(rps(p))),
        spread(p),
        cpu(p).toFixed(1),
        String(Math.round(n / cpu(p))),
        mib(rss(p)),
        correctness,
      ]),
    );
  }
  print('');
  const ran = (a: Peer, b: Peer): boolean => runs.has(a) && runs.has(b);
  const rows: [boolean, () => Row][] = [
    [
      ran('sluice', 'node-red'),
      () => rateRow('(e) Sluice vs (d) Node-RED, records/s', rps('sluice'), rps('node-red'), 5),
    ],
    [
      ran('sluice', 'node-red'),
      () => ratioRow('(e) Sluice vs (d) Node-RED, peak RSS', rss('sluice'), rss('node-red'), 0.5),
    ],
    [
      ran('sluice', 'hand-rolled'),
      () => rateRow('(e) Sluice vs (b) hand-rolled, records/s', rps('sluice'), rps('hand-rolled'), 0.8),
    ],
    [ran('sluice', 'rxjs'), () => rateRow('(e) Sluice vs (c) RxJS, records/s', rps('sluice'), rps('rxjs'))],
    [
      ran('hand-rolled', 'raw'),
      () => rateRow('(b) hand-rolled vs (a) raw, records/s', rps('hand-rolled'), rps('raw')),
    ],
    // Records/s stops at what the feeder and the loopback deliver; records per CPU second is the consumer's cost.
    [
      ran('sluice', 'node-red'),
      () => rateRow('(e) Sluice vs (d) Node-RED, records per CPU s', n / cpu('sluice'), n / cpu('node-red')),
    ],
    [
      ran('sluice', 'hand-rolled'),
      () =>
        rateRow(
          '(e) Sluice vs (b) hand-rolled, records per CPU s',
          n / cpu('sluice'),
          n / cpu('hand-rolled'),
        ),
    ],
  ];
  const shown = rows.filter(([show]) => show).map(([, row]) => row());
  if (shown.length > 0) for (const line of renderTable(shown)) print(line);
  print(
    `load average (1 min) at the end of each run: ${peers
      .map((p) => `${p} ${(runs.get(p) ?? []).map((f) => f.load.toFixed(1)).join('/')}`)
      .join(', ')}`,
  );
  if (problems.length > 0) {
    print('');
    print(`!!! CORRECTNESS: ${problems.length} implementation run(s) disagree with the expected windows !!!`);
    for (const p of problems) print(`!!! ${p}`);
    process.exitCode = 1;
  } else
    print(`correctness: every implementation wrote the ${expected.size} expected windows with equal values`);

  if (outFlag === undefined && peers.length < PEERS.length) {
    process.stderr.write('  partial run (--only): no results file saved (give --out=FILE to save one)\n');
    return;
  }
  const dir = path.join(HERE, 'results');
  await mkdir(dir, { recursive: true });
  const file =
    outFlag !== undefined
      ? path.resolve(outFlag)
      : path.join(dir, `peers-${new Date().toISOString().slice(0, 10)}.txt`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${out.join('\n')}\n`);
  process.stderr.write(`  saved ${path.relative(process.cwd(), file)}\n`);
}
