// The published entry point: after `npm run build`, `import … from 'sluice/operators'` gives the engine, and the
// README's example prints what the README says.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

test('sluice/operators resolves to the built engine and runs the README example', () => {
  const build = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  expect(build.status, build.stdout + build.stderr).toBe(0);
  const script = `
    import { StreamingContext, ManualClock } from 'sluice/operators';
    const ctx = new StreamingContext({ batchIntervalMs: 1000, clock: new ManualClock() });
    ctx.queueStream([['a', 'b', 'a'], ['b'], []])
      .mapToPair((w) => [w, 1])
      .reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 2000, 1000)
      .foreachBatch((pairs, t) => console.log(t, JSON.stringify(pairs)));
    await ctx.runBatches(4);
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  expect(run.stdout.trim().split('\n')).toEqual([
    '1000 [["a",2],["b",1]]',
    '2000 [["a",2],["b",2]]',
    '3000 [["a",0],["b",1]]',
    '4000 [["a",0],["b",0]]',
  ]);
}, 120_000);
