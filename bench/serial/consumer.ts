// One consumer of the serial benchmark, in its own process so its CPU time is its own:
// `consumer.ts <raw|sluice> <tty> <lines> <tmp dir>`. Prints `ready` once the port is open and `done <json>` once
// it has taken every line (raw: counted by ReadlineParser; sluice: every line a record in the write-ahead log,
// with the windowed pipeline cutting and committing batches meanwhile), then idles until killed (or, with
// BENCH_EXIT=1, exits: for profiling with --cpu-prof).
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PerformanceObserver, constants as perf } from 'node:perf_hooks';
import pino from 'pino';
import { ReadlineParser, SerialPort } from 'serialport';
import { createGateway } from '../../daemon/app.js';
import { loadConfig } from '../../daemon/config/load.js';

const [kind = 'raw', tty = '', countArg = '0', tmp = '/tmp'] = process.argv.slice(2);
const total = Number(countArg);

/** CPU seconds of the main (JavaScript) thread alone, from /proc (10 ms resolution): the rest of the process's
 * CPU is libuv's and LevelDB's threads (reads, WAL writes, compaction). */
function mainThreadCpuS(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const cpu0 = process.cpuUsage();
const main0 = mainThreadCpuS();
/** Time in garbage collection since start, ms, by kind (minor: scavenges; major: mark-compact). */
const gcMs = { minor: 0, major: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    if (kind === perf.NODE_PERFORMANCE_GC_MINOR) gcMs.minor += entry.duration;
    else gcMs.major += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

function report(): void {
  const cpu = process.cpuUsage(cpu0);
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `done ${JSON.stringify({ cpuS: (cpu.user + cpu.system) / 1e6, mainCpuS: mainThreadCpuS() - main0, peakRssBytes, gcMs })}\n`,
  );
  if (process.env.BENCH_EXIT === '1') setTimeout(() => process.exit(0), 100);
}

async function raw(): Promise<void> {
  const port = new SerialPort({ path: tty, baudRate: 115_200, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    port.open((err) => {
      if (err) reject(err);
      else resolve();
    });
  });
  let seen = 0;
  port.pipe(new ReadlineParser({ delimiter: '\n' })).on('data', () => {
    seen += 1;
    if (seen === total) report();
  });
  process.stdout.write('ready\n');
}

async function sluice(): Promise<void> {
  const dir = await mkdtemp(path.join(tmp, 'sluice-serial-'));
  const file = path.join(dir, 'sluice.yaml');
  await writeFile(
    file,
    `gateway: { id: bench }
batch: { interval: 1s }
state: { dir: ${path.join(dir, 'state')}, durability: process }
receivers:
  line:
    type: serial
    path: ${tty}
    baudRate: 115200
    format: csv
    columns: [ts, sensor, temp, hum]
    key: sensor
    time: ts
pipelines:
  line-1s:
    from: [line]
    window: { length: 1s, lateness: 2s }
    aggregate: { n: count(), temp_avg: avg(temp), temp_max: max(temp), hum_avg: avg(hum) }
    to: [archive]
sinks:
  archive: { type: file, path: ${path.join(dir, 'out', 'line.jsonl')} }
`,
  );
  const gateway = createGateway(await loadConfig(file), { log: pino({ level: 'silent' }) });
  await gateway.start();
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (gateway.status().receivers.line?.state === 'connected') {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });
  process.stdout.write('ready\n');
  const timer = setInterval(() => {
    if ((gateway.status().receivers.line?.records ?? 0) >= total) {
      clearInterval(timer);
      report();
    }
  }, 2);
}

if (kind === 'raw') await raw();
else await sluice();
