// The one record a pipeline emits per key per window, the same for every sink, with its deterministic id.

export interface WindowRecord {
  /** `<gateway>/<pipeline>/<key>/<windowStart>`: recomputing the same window after a crash gives the same id. */
  id: string;
  gateway: string;
  pipeline: string;
  key: string;
  /** Epoch ms, inclusive. */
  windowStart: number;
  /** Epoch ms, exclusive. */
  windowEnd: number;
  values: Record<string, number | null>;
}

export function windowRecord(
  gateway: string,
  pipeline: string,
  key: string,
  windowStart: number,
  windowEnd: number,
  values: Record<string, number | null>,
): WindowRecord {
  return {
    id: `${gateway}/${pipeline}/${key}/${windowStart}`,
    gateway,
    pipeline,
    key,
    windowStart,
    windowEnd,
    values,
  };
}
