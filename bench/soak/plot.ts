// The soak's plot as hand-written SVG (no plotting dependency): one panel per measure over time, the Kafka outages
// shaded, the end of warm-up marked.
import type { Sample } from './trend.js';

interface Series {
  readonly label: string;
  readonly color: string;
  readonly y: (s: Sample) => number;
}

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly Series[];
}

const PANELS: readonly Panel[] = [
  {
    title: 'memory',
    unit: 'MiB',
    series: [
      { label: 'RSS', color: '#1f77b4', y: (s) => s.rssMiB },
      { label: 'heap total', color: '#9467bd', y: (s) => s.heapTotalMiB },
      { label: 'heap used', color: '#ff7f0e', y: (s) => s.heapUsedMiB },
    ],
  },
  {
    title: 'event-loop delay',
    unit: 'ms',
    series: [
      { label: 'p99', color: '#d62728', y: (s) => s.loopP99Ms },
      { label: 'mean', color: '#2ca02c', y: (s) => s.loopMeanMs },
    ],
  },
  { title: 'open files', unit: 'fds', series: [{ label: 'fds', color: '#8c564b', y: (s) => s.fds }] },
  {
    title: 'LevelDB size',
    unit: 'MiB',
    series: [{ label: 'LevelDB', color: '#17becf', y: (s) => s.leveldbMiB }],
  },
  {
    title: 'Kafka outbox',
    unit: 'entries',
    series: [{ label: 'outbox', color: '#7f7f7f', y: (s) => s.kafkaOutbox }],
  },
];

const W = 900;
const PANEL_H = 150;
const GAP = 40;
const LEFT = 70;
const RIGHT = 20;
const TOP = 40;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

/** The whole SVG document. */
export function renderSvg(samples: readonly Sample[], warmupS: number, title: string): string {
  const height = TOP + PANELS.length * (PANEL_H + GAP);
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const x = (t: number): number => LEFT + ((W - LEFT - RIGHT) * t) / tMax;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${height}" fill="#fff"/>`,
    `<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  // Kafka outages: runs of samples with kafkaDown = 1.
  const outages: [number, number][] = [];
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    if (s?.kafkaDown !== 1) continue;
    const start = samples[i - 1]?.t ?? s.t;
    let j = i;
    while (samples[j + 1]?.kafkaDown === 1) j++;
    outages.push([start, samples[j]?.t ?? s.t]);
    i = j;
  }
  PANELS.forEach((panel, p) => {
    const top = TOP + p * (PANEL_H + GAP) + 10;
    const yMax = niceMax(
      Math.max(...panel.series.flatMap((se) => samples.map(se.y)).filter(Number.isFinite)),
    );
    const y = (v: number): number => top + PANEL_H - (PANEL_H * v) / yMax;
    out.push(`<g>`);
    for (const [a, b] of outages) {
      out.push(
        `<rect x="${x(a).toFixed(1)}" y="${top}" width="${Math.max(1, x(b) - x(a)).toFixed(1)}" height="${PANEL_H}" fill="#f3d9d9"/>`,
      );
    }
    out.push(
      `<line x1="${x(warmupS).toFixed(1)}" y1="${top}" x2="${x(warmupS).toFixed(1)}" y2="${top + PANEL_H}" stroke="#999" stroke-dasharray="4 3"/>`,
      `<rect x="${LEFT}" y="${top}" width="${W - LEFT - RIGHT}" height="${PANEL_H}" fill="none" stroke="#444"/>`,
      `<text x="${LEFT}" y="${top - 4}" font-weight="bold">${esc(panel.title)} (${esc(panel.unit)})</text>`,
    );
    for (let k = 0; k <= 4; k++) {
      const v = (yMax * k) / 4;
      out.push(
        `<text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${Number(v.toPrecision(3))}</text>`,
        `<line x1="${LEFT}" y1="${y(v).toFixed(1)}" x2="${W - RIGHT}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
      );
    }
    const stepS = [15, 30, 60, 120, 300, 600, 1800, 3600].find((st) => tMax / st <= 8) ?? 7200;
    for (let t = 0; t <= tMax; t += stepS) {
      out.push(
        `<text x="${x(t).toFixed(1)}" y="${top + PANEL_H + 13}" text-anchor="middle">${Number((t / 60).toFixed(2))} min</text>`,
      );
    }
    panel.series.forEach((se, i) => {
      const pts = samples
        .filter((s) => Number.isFinite(se.y(s)))
        .map((s) => `${x(s.t).toFixed(1)},${y(se.y(s)).toFixed(1)}`)
        .join(' ');
      out.push(`<polyline fill="none" stroke="${se.color}" stroke-width="1.3" points="${pts}"/>`);
      out.push(
        `<text x="${W - RIGHT - 6 - i * 90}" y="${top + 14}" text-anchor="end" fill="${se.color}">${esc(se.label)}</text>`,
      );
    });
    out.push(`</g>`);
  });
  out.push(
    `<text x="${W - RIGHT}" y="20" text-anchor="end" fill="#777">shaded: Kafka broker down · dashed: end of warm-up</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
