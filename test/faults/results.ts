// Reading what a daemon under fault wrote to its sinks, for the fault suites: window results and alert
// notifications de-duplicated by their deterministic id, failing loudly when one id carries two different values.

/** Whether the long variants run (SLUICE_LONG=1): more kills, more data. */
export const LONG = process.env.SLUICE_LONG === '1';

export interface WindowResult {
  id: string;
  pipeline: string;
  key: string;
  windowStart: number;
  windowEnd: number;
  values: Record<string, number | null>;
}

export interface AlertNotification {
  id: string;
  alert: string;
  status: 'firing' | 'resolved';
  key: string;
  startsAt: number;
}

// De-duplicating by id is shared with the other crash tests.
export { byId, readById } from '../support/window-results.js';

/** The sum of one aggregate over the results of one pipeline. */
export function total(results: Iterable<WindowResult>, pipeline: string, value: string): number {
  let n = 0;
  for (const r of results) if (r.pipeline === pipeline) n += r.values[value] ?? 0;
  return n;
}
