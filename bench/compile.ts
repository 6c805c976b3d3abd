// Shared by the benchmarks that run consumers in child processes (mqtt.ts, serial.ts): the consumer compiled to
// JavaScript, as a user runs dist/ (a TypeScript loader in the child would count its transform time and memory
// against the consumer, and against Sluice far more than against a baseline of a few lines), and the Node flags
// the systemd unit starts the daemon with.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Node flags the systemd unit starts the daemon with: ExecStart's words between node and the script. */
export async function deployedNodeFlags(): Promise<string[]> {
  const unit = await readFile(path.join(ROOT, 'systemd', 'sluice.service'), 'utf8');
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1]?.trim().split(/\s+/) ?? [];
  const script = exec.findIndex((word) => word.endsWith('.js'));
  return script < 0 ? [] : exec.slice(1, script).filter((word) => word.startsWith('--'));
}

/**
 * Compiles a consumer (a .ts file under the repository) and what it imports (the daemon) with the project's
 * compiler settings into .tmp/<name> (inside the repository, so node_modules resolves); returns the compiled
 * consumer's path.
 */
export async function compileConsumer(entry: string, name: string): Promise<string> {
  const out = path.join(ROOT, '.tmp', name);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const tsconfig = path.join(out, 'tsconfig.json');
  await writeFile(
    tsconfig,
    JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.json'),
      compilerOptions: { noEmit: false, rootDir: ROOT, outDir: out, declaration: false, sourceMap: true },
      files: [entry],
      include: [],
    }),
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  // Type errors elsewhere in a shared tree must not stop the benchmark: tsc emits anyway, and a missing output
  // file is the failure that counts.
  await promisify(execFile)(process.execPath, [tsc, '-p', tsconfig]).catch((err: unknown) => {
    process.stderr.write(`  tsc reported errors (output is still emitted): ${String(err).slice(0, 300)}\n`);
  });
  return path.join(out, path.relative(ROOT, entry).replace(/\.ts$/, '.js'));
}
