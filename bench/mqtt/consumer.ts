// One consumer of the MQTT benchmark, run in its own process so its CPU time and peak RSS are its own:
// `consumer.ts <raw|hand-rolled|sluice-process|sluice-fsync> <url> <messages> <tmp dir>`. Prints `ready` once
// subscribed and `done <json>` once it has taken every message, then goes on (acknowledging) until killed.
import { mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { createGateway } from '../../daemon/app.js';
import { loadConfig } from '../../daemon/config/load.js';

const [kind = 'raw', url = '', countArg = '0', tmp = '/tmp'] = process.argv.slice(2);
const total = Number(countArg);
const cpu0 = process.cpuUsage();

function report(): void {
  const cpu = process.cpuUsage(cpu0);
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`done ${JSON.stringify({ cpuS: (cpu.user + cpu.system) / 1e6, peakRssBytes })}\n`);
}

interface Window {
  n: number;
  sum: number;
  max: number;
}

async function mqttJs(aggregate: boolean): Promise<void> {
  const client = await mqtt.connectAsync(url, {
    clientId: `bench-${kind}`,
    clean: true,
    reconnectPeriod: 0,
  });
  const windows = new Map<string, Window>();
  let seen = 0;
  client.on('message', (topic, payload) => {
    if (aggregate) {
      const reading = JSON.parse(payload.toString()) as { ts: number; temp: number };
      const key = `${topic.split('/')[1] ?? ''}/${Math.floor(reading.ts / 1000)}`;
      const w = windows.get(key);
      if (w === undefined) windows.set(key, { n: 1, sum: reading.temp, max: reading.temp });
      else {
        w.n += 1;
        w.sum += reading.temp;
        if (reading.temp > w.max) w.max = reading.temp;
      }
      // Tumbling 1 s windows in event time: close the ones two seconds behind, as a watermark would.
      if (windows.size > 400) {
        const horizon = Math.floor(reading.ts / 1000) - 2;
        for (const k of windows.keys()) {
          if (Number(k.slice(k.indexOf('/') + 1)) < horizon) {
            windows.delete(k);
          }
        }
      }
    }
    seen += 1;
    if (seen === total) report();
  });
  await client.subscribeAsync('sensors/+/telemetry', { qos: 1 });
  process.stdout.write('ready\n');
}

async function sluice(durability: 'process' | 'fsync'): Promise<void> {
  const dir = await mkdtemp(path.join(tmp, `sluice-${durability}-`));
  const file = path.join(dir, 'sluice.yaml');
  await writeFile(
    file,
    `gateway: { id: bench }
batch: { interval: 1s }
state: { dir: ${path.join(dir, 'state')}, durability: ${durability} }
receivers:
  climate: { type: mqtt, url: "${url}", clientId: bench-sluice-${durability}, topics: ["sensors/+/telemetry"], qos: 1, format: json, key: "topicParts[1]", time: ts }
pipelines:
  climate-1s:
    from: [climate]
    window: { length: 1s, lateness: 2s }
    aggregate: { n: count(), temp_avg: avg(temp), temp_max: max(temp) }
    to: [archive]
sinks:
  archive: { type: file, path: ${path.join(dir, 'out', 'climate.jsonl')} }
`,
  );
  const gateway = createGateway(await loadConfig(file), { log: pino({ level: 'silent' }) });
  await gateway.start();
  // start() does not wait for brokers: be subscribed before the publisher starts, as the other consumers are.
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (gateway.status().receivers.climate?.state === 'connected') {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });
  process.stdout.write('ready\n');
  const timer = setInterval(() => {
    if ((gateway.status().receivers.climate?.records ?? 0) >= total) {
      clearInterval(timer);
      report();
    }
  }, 10); // status() builds a whole report: polled every 2 ms it cost the consumer measurable CPU
}

if (kind === 'raw') await mqttJs(false);
else if (kind === 'hand-rolled') await mqttJs(true);
else if (kind === 'sluice-process') await sluice('process');
else await sluice('fsync');
