// The result table of a benchmark: one row per scenario, Sluice beside its baseline, the ratio and the target,
// with PASS/MISS made visible. Targets report; they never change the exit code.

export type Verdict = 'PASS' | 'MISS' | 'info';

export interface Row {
  readonly scenario: string;
  readonly sluice: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly verdict: Verdict;
}

/** A throughput row: ratio = sluice / baseline (higher is better), checked against minRatio when given. */
export function throughputRow(
  scenario: string,
  sluiceRps: number,
  baselineRps: number,
  minRatio?: number,
): Row {
  const ratio = sluiceRps / baselineRps;
  return {
    scenario,
    sluice: rate(sluiceRps),
    baseline: rate(baselineRps),
    ratio: `${ratio.toFixed(2)}×`,
    target: minRatio === undefined ? '—' : `≥ ${minRatio.toFixed(2)}×`,
    verdict: minRatio === undefined ? 'info' : ratio >= minRatio ? 'PASS' : 'MISS',
  };
}

/** A memory row in bytes per live key: ratio = sluice / baseline (lower is better), checked against maxBytes. */
export function heapRow(
  scenario: string,
  sluiceBytes: number,
  baselineBytes: number,
  maxBytes?: number,
): Row {
  return {
    scenario,
    sluice: `${Math.round(sluiceBytes)} B/key`,
    baseline: `${Math.round(baselineBytes)} B/key`,
    ratio: `${(sluiceBytes / baselineBytes).toFixed(2)}×`,
    target: maxBytes === undefined ? '—' : `≤ ${maxBytes} B/key`,
    verdict: maxBytes === undefined ? 'info' : sluiceBytes <= maxBytes ? 'PASS' : 'MISS',
  };
}

function rate(rps: number): string {
  return `${(rps / 1e6).toFixed(2)} M rec/s`;
}

const HEADER: Row = {
  scenario: 'scenario',
  sluice: 'sluice',
  baseline: 'baseline',
  ratio: 'ratio',
  target: 'target',
  verdict: 'info',
};

/** The table as text lines, then one line naming every missed target. */
export function renderTable(rows: readonly Row[]): string[] {
  const cols = (r: Row): string[] => [
    r.scenario,
    r.sluice,
    r.baseline,
    r.ratio,
    r.target,
    r === HEADER ? 'result' : r.verdict,
  ];
  const all = [HEADER, ...rows].map(cols);
  const widths = (all[0] ?? []).map((_, i) => Math.max(...all.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]): string =>
    c.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const out = all.map(line);
  out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const missed = rows.filter((r) => r.verdict === 'MISS');
  out.push('');
  const checked = rows.filter((r) => r.verdict !== 'info').length;
  out.push(
    missed.length > 0
      ? `MISSED ${missed.length} of ${checked} target(s): ${missed.map((r) => r.scenario).join('; ')}`
      : `met ${checked} of ${checked} target(s)`,
  );
  return out;
}
