// Runs state-bytes.ts in a node with --expose-gc and checks a count()/avg/max state stays well under 200
// bytes: a gateway keeps one per live key per window. Memory only; nothing here is timed.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

test('a count/avg/max AggregateSet state takes well under 200 heap bytes', () => {
  const script = fileURLToPath(new URL('./state-bytes.ts', import.meta.url));
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
    encoding: 'utf8',
  });
  const report = JSON.parse(out) as { bytesPerState: Record<string, number> };
  console.log(out.trim());
  expect(report.bytesPerState.countAvgMax).toBeGreaterThan(0);
  expect(report.bytesPerState.countAvgMax).toBeLessThan(200);
  expect(report.bytesPerState.countAvgMaxEmpty).toBeLessThan(200);
});
