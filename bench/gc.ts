// Forced garbage collection for heap figures and for quiet starts between timed runs.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** global.gc when node runs with --expose-gc; otherwise the flag is set at run time and gc taken from a fresh
 * context, so a plain `node --import tsx` still measures heap (V8 allows this; --expose-gc is the clean way). */
function resolveGc(): { collect: () => void; how: string } {
  const exposed = globalThis.gc;
  if (exposed !== undefined) {
    return {
      collect: () => {
        exposed();
      },
      how: '--expose-gc',
    };
  }
  setFlagsFromString('--expose-gc');
  const late = runInNewContext('gc') as () => void;
  return { collect: late, how: 'v8.setFlagsFromString(--expose-gc)' };
}

const resolved = resolveGc();

/** How gc was obtained, for the report header. */
export const gcSource = resolved.how;

/** Full collection, twice so that objects freed by finalization in the first pass go too. */
export function fullGc(): void {
  resolved.collect();
  resolved.collect();
}

/** Memory in use after a full collection, in bytes: the V8 heap plus ArrayBuffer backing stores, which live
 * outside it (typed-array state such as the columnar windows' would otherwise count as nothing). */
export function settledHeapUsed(): number {
  fullGc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}
