// The mqtt.js peers of `npm run bench -- peers`, each in its own process (so CPU time and peak RSS are its own):
// `consumer.js <raw|hand-rolled|rxjs> <url> <messages> <results file>`. The benchmark transpiles this file to
// plain JavaScript first, so no TypeScript loader sits in the peers' memory. It imports only packages: keep it so.
//
// raw counts messages (the ceiling). hand-rolled and rxjs compute what Sluice's pipeline does: tumbling 1 s
// event-time windows per sensor (topic level 1) with count/avg/min/max of temp, a window closed once the newest
// reading is 2 s past its end (a watermark with 2 s lateness), one JSON line per window appended to the file.
// Prints `ready` once subscribed and `done` once it has taken every message (the window lines may trail).
import { createWriteStream } from 'node:fs';
import mqtt from 'mqtt';
import { first, fromEvent, groupBy, map, mergeMap, reduce, scan, share, distinctUntilChanged } from 'rxjs';

const [kind = 'raw', url = '', countArg = '0', outFile = '/dev/null'] = process.argv.slice(2);
const total = Number(countArg);
const SIZE_MS = 1000;
const LATENESS_MS = 2000;

interface Reading {
  sensor: string;
  ts: number;
  temp: number;
}

interface Acc {
  n: number;
  sum: number;
  min: number;
  max: number;
}

function line(key: string, windowStart: number, w: Acc): string {
  const row = {
    key,
    windowStart,
    windowEnd: windowStart + SIZE_MS,
    n: w.n,
    avg: w.sum / w.n,
    min: w.min,
    max: w.max,
  };
  return `${JSON.stringify(row)}\n`;
}

const client = await mqtt.connectAsync(url, { clientId: `peers-${kind}`, clean: true, reconnectPeriod: 0 });
const out = createWriteStream(outFile, { flags: 'a' });
let seen = 0;
const counted = (): void => {
  seen += 1;
  if (seen === total) process.stdout.write('done\n');
};

function parse(topic: string, payload: Buffer): Reading {
  const body = JSON.parse(payload.toString()) as { ts: number; temp: number };
  return { sensor: topic.split('/')[1] ?? '', ts: body.ts, temp: body.temp };
}

if (kind === 'raw') {
  client.on('message', counted);
} else if (kind === 'hand-rolled') {
  // What one writes by hand: a Map of open windows, swept whenever the watermark moves.
  const open = new Map<string, Acc & { key: string; start: number }>();
  let watermark = -Infinity;
  client.on('message', (topic, payload) => {
    const r = parse(topic, payload);
    const start = r.ts - (r.ts % SIZE_MS);
    const id = `${r.sensor}/${start}`;
    const w = open.get(id);
    if (w === undefined) open.set(id, { key: r.sensor, start, n: 1, sum: r.temp, min: r.temp, max: r.temp });
    else {
      w.n += 1;
      w.sum += r.temp;
      if (r.temp < w.min) w.min = r.temp;
      if (r.temp > w.max) w.max = r.temp;
    }
    if (r.ts - LATENESS_MS > watermark) {
      watermark = r.ts - LATENESS_MS;
      let text = '';
      for (const [k, o] of open) {
        if (o.start + SIZE_MS <= watermark) {
          text += line(o.key, o.start, o);
          open.delete(k);
        }
      }
      if (text !== '') out.write(text);
    }
    counted();
  });
} else if (kind === 'rxjs') {
  // Idiomatic RxJS: one group per (sensor, window), ended by a shared watermark, reduced to its aggregate.
  const readings$ = fromEvent(client, 'message', (topic: string, payload: Buffer) =>
    parse(topic, payload),
  ).pipe(share());
  const watermark$ = readings$.pipe(
    scan((w, r) => Math.max(w, r.ts - LATENESS_MS), -Infinity),
    distinctUntilChanged(),
    // Kept across moments with no open group, so the watermark never starts over.
    share({ resetOnRefCountZero: false }),
  );
  readings$
    .pipe(
      groupBy((r) => `${r.sensor}/${r.ts - (r.ts % SIZE_MS)}`, {
        duration: (g) => {
          const end = Number(g.key.slice(g.key.indexOf('/') + 1)) + SIZE_MS;
          return watermark$.pipe(first((w) => w >= end));
        },
      }),
      mergeMap((g) =>
        g.pipe(
          reduce<Reading, Acc & { key: string }>(
            (a, r) => ({
              key: r.sensor,
              n: a.n + 1,
              sum: a.sum + r.temp,
              min: Math.min(a.min, r.temp),
              max: Math.max(a.max, r.temp),
            }),
            { key: '', n: 0, sum: 0, min: Infinity, max: -Infinity },
          ),
          map((a) => line(a.key, Number(g.key.slice(g.key.indexOf('/') + 1)), a)),
        ),
      ),
    )
    .subscribe((text) => out.write(text));
  // Counted last, after the pipeline has seen the reading.
  readings$.subscribe(counted);
} else {
  throw new Error(`unknown peer ${kind}`);
}

await client.subscribeAsync('sensors/+/telemetry', { qos: 1 });
process.stdout.write('ready\n');
