// Runs the benchmarks named on the command line, or all of them: `npm run bench`, `npm run bench -- engine`.
// Flags (--name=value) go to every selected benchmark. Benchmarks report; a missed target does not fail the run.

interface Benchmark {
  run(flags: readonly string[]): Promise<void>;
}

/** Every benchmark, in the order `npm run bench` runs them; each loads only when selected. */
const BENCHMARKS: Readonly<Record<string, () => Promise<Benchmark>>> = {
  engine: () => import('./engine.js'),
  mqtt: () => import('./mqtt.js'),
  alerts: () => import('./alerts.js'),
  upstream: () => import('./upstream.js'),
  serial: () => import('./serial.js'),
  peers: () => import('./peers.js'),
};

async function main(argv: readonly string[]): Promise<number> {
  const names = argv.filter((a) => !a.startsWith('--'));
  const flags = argv.filter((a) => a.startsWith('--'));
  const unknown = names.filter((n) => !Object.hasOwn(BENCHMARKS, n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
    return 2;
  }
  for (const name of names.length > 0 ? names : Object.keys(BENCHMARKS)) {
    const load = BENCHMARKS[name];
    if (load !== undefined) await (await load()).run(flags);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
