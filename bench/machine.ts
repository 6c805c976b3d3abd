// The machine a benchmark ran on (Node, CPU, cores, memory), printed first so figures are read in context.
import os from 'node:os';

/** One line: node version, CPU model, logical cores, total memory, platform. */
export function describeMachine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  const gib = (os.totalmem() / 2 ** 30).toFixed(1);
  return `node ${process.version} · ${model} · ${cpus.length} cores · ${gib} GiB · ${os.platform()} ${os.arch()}`;
}
