// Runs a simulated serial device on a tty, for the demo, manual tests and the benchmark:
//
//   socat -d -d pty,raw,echo=0,link=/tmp/ttyS0 pty,raw,echo=0,link=/tmp/ttyS0-sim &   # a pty pair
//   node --import tsx hardware/simulators/cli.ts line --path /tmp/ttyS0-sim --format csv --rate 10 --header
//   node --import tsx hardware/simulators/cli.ts gps --path /tmp/ttyS0-sim
//   node --import tsx hardware/simulators/cli.ts modbus --path /tmp/ttyS0-sim --unit 1 --unit 2
//
// and Sluice reads /tmp/ttyS0. Runs until --count lines are written, or until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { ClimateSensor } from './climate-sensor.js';
import { LineSensor, type LineFormat } from './line-sensor.js';
import { ModbusSlave } from './modbus-slave.js';
import { NmeaGps } from './nmea-gps.js';
import { closeSimulatorPort, openSimulatorPort, writeLines } from './stream.js';

const USAGE = `usage: cli.ts <line|gps|modbus> --path <tty> [options]
  line    CSV/JSON/key=value readings: --format csv|json|kv (csv) --rate <lines/s> (10) --sensors <n> (1)
          --seed <n> (1) --header (csv: print the header first) --count <n> (no limit)
  gps     NMEA 0183 GGA + RMC with valid checksums: --rate <fixes/s> (1) --count <fixes> (no limit)
  modbus  Modbus RTU slaves answering as sht3x-modbus transmitters: --unit <id> (repeatable; 1)
  common  --baud <rate> (9600)`;

function number(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${value}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      path: { type: 'string' },
      baud: { type: 'string' },
      format: { type: 'string' },
      rate: { type: 'string' },
      count: { type: 'string' },
      sensors: { type: 'string' },
      seed: { type: 'string' },
      header: { type: 'boolean' },
      unit: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [kind] = positionals;
  if (values.help === true || kind === undefined || values.path === undefined) {
    console.error(USAGE);
    return values.help === true ? 0 : 2;
  }
  const port = await openSimulatorPort(values.path, number(values.baud, 'baud', 9600));
  const stop = new AbortController();
  const onSignal = (): void => {
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const count = values.count === undefined ? undefined : number(values.count, 'count', 1);
  try {
    switch (kind) {
      case 'line': {
        const format = (values.format ?? 'csv') as LineFormat;
        if (!['csv', 'json', 'kv'].includes(format)) throw new Error(`--format must be csv, json or kv`);
        const sensor = new LineSensor({
          format,
          sensors: number(values.sensors, 'sensors', 1),
          seed: number(values.seed, 'seed', 1),
        });
        const header = values.header === true ? sensor.header() : undefined;
        let first = header !== undefined;
        const sent = await writeLines(
          port,
          () => {
            if (!first) return sensor.nextLine();
            first = false;
            return header ?? '';
          },
          {
            rate: number(values.rate, 'rate', 10),
            signal: stop.signal,
            ...(count === undefined ? {} : { count: count + (header === undefined ? 0 : 1) }),
          },
        );
        console.error(`line: wrote ${sent} lines to ${values.path}`);
        return 0;
      }
      case 'gps': {
        const gps = new NmeaGps();
        let pending: string[] = [];
        const sent = await writeLines(
          port,
          () => {
            if (pending.length === 0) pending = gps.next().lines.map((l) => l.trimEnd());
            return pending.shift() ?? '';
          },
          {
            rate: 2 * number(values.rate, 'rate', 1),
            eol: '\r\n',
            signal: stop.signal,
            ...(count === undefined ? {} : { count: 2 * count }),
          },
        );
        console.error(`gps: wrote ${sent} sentences to ${values.path}`);
        return 0;
      }
      case 'modbus': {
        const units = (values.unit ?? ['1']).map((u) => number(u, 'unit', 1));
        const slaves = units.map((unitId) => {
          const slave = new ModbusSlave({ unitId });
          slave.attach(port);
          return { slave, sensor: new ClimateSensor(unitId) };
        });
        // sht3x-modbus map: input 1 = temperature × 10 (int16), input 2 = humidity × 10.
        const update = (): void => {
          for (const { slave, sensor } of slaves) {
            const r = sensor.read(Date.now());
            slave.set('input', 1, Math.round(r.temp * 10));
            slave.set('input', 2, Math.round(r.hum * 10));
          }
        };
        update();
        const timer = setInterval(update, 1000);
        console.error(`modbus: units ${units.join(', ')} answering on ${values.path}`);
        await new Promise((resolve) => {
          stop.signal.addEventListener('abort', resolve, { once: true });
        });
        clearInterval(timer);
        return 0;
      }
      default:
        console.error(`unknown simulator ${kind}\n${USAGE}`);
        return 2;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await closeSimulatorPort(port);
  }
}

process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  return 1;
});
