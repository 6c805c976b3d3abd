// `npm run demo`: the real daemon running the demo, exactly what `sluice run` without -c runs (examples/demo.yaml
// and its simulated devices, daemon/cli/demo.ts). It runs the built daemon in dist/ when that is up to date with
// the sources, and the sources through tsx otherwise (a fresh clone needs no build). Ctrl-C stops it cleanly.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'daemon', 'main.js');

/** The newest modification time of the .ts files under dir, ms. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

const sources = ['daemon', 'operators', 'connectors', 'hardware'].map((d) => path.join(root, d));
const fresh = existsSync(built) && Math.max(...sources.map(newestSource)) <= statSync(built).mtimeMs;
// tsx is resolved from the repository, so the demo runs in any working directory.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const args = fresh ? [built, 'run'] : ['--import', tsx, path.join(root, 'daemon', 'main.ts'), 'run'];
console.error(`sluice demo: running ${fresh ? 'the build in dist/' : 'the sources (tsx)'}; Ctrl-C stops it`);

const child = spawn(process.execPath, args, { stdio: 'inherit' });
// Ctrl-C reaches the daemon directly (same process group); SIGTERM is passed on. Either way, wait for it.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => {
  child.kill('SIGTERM');
});
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal === null ? 1 : 128);
});
