// Reads a record's event time from a payload field: epoch ms, epoch seconds or ISO 8601.

export type TimeFormat = 'auto' | 'epoch-ms' | 'epoch-s' | 'iso8601';

/** Epoch seconds below this are taken as seconds by `auto` (1e11 s is the year 5138; 1e11 ms is 1973). */
const SECONDS_BELOW = 1e11;

/** The time in epoch ms, or undefined when the value is not a time in that format. */
export function parseEventTime(value: unknown, format: TimeFormat): number | undefined {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && value.trim() !== '') {
    const text = value.trim();
    if (/^[+-]?\d+(\.\d+)?$/.test(text)) n = Number(text);
    else if (format === 'auto' || format === 'iso8601') {
      const ms = Date.parse(text);
      return Number.isFinite(ms) ? ms : undefined;
    } else return undefined;
  } else return undefined;
  if (!Number.isFinite(n) || format === 'iso8601') return undefined;
  if (format === 'epoch-s' || (format === 'auto' && Math.abs(n) < SECONDS_BELOW)) return Math.round(n * 1000);
  return Math.round(n);
}
